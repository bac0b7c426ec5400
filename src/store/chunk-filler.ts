/**
 * Filling DuckDB data chunks from packed rows (packed-batch.ts), on the store's worker thread.
 *
 * Values reach a chunk's vectors as whole-column memory copies (`copy_data_to_vector`), not one
 * call per value: one call costs ~150 ns, a flood brings millions of rows a second. Text and blobs
 * are written as DuckDB's public `duckdb_string_t` (16 bytes: a u32 length, then up to 12 bytes
 * inline); only a value longer than 12 bytes takes a call of its own, which stores its bytes in
 * the vector's heap. Lists are the list vector's entries (u64 offset, u64 length per row) and its
 * child vector's values, copied the same way.
 */
import { isUtf8 } from 'node:buffer';

import type { DuckDBAppender, DuckDBDataChunk } from '@duckdb/node-api';
import type * as Bindings from '@duckdb/node-bindings';

import { arenaBytes } from '../decode/columns.js';

import type { PackedRows } from './packed-batch.js';
import { fixedWidth } from './packed-batch.js';
import type { EventTable, StoredColumn } from './table-schema.js';

/** Rows per data chunk: DuckDB's standard vector size. */
export const CHUNK_ROWS = 2048;

/** Bytes of a `duckdb_string_t`; values up to INLINE_BYTES long are stored in it. */
const STRING_T_BYTES = 16;
const INLINE_BYTES = 12;

/** What every row of one append gets besides its packed columns. */
export interface RowStamp {
  /** The run's id. */
  run: number;
  /** Wall-clock µs minus CLOCK_MONOTONIC µs of the run's host: `wall` = ⌊time / 1000⌋ + this. */
  clockOffsetUs: number;
  /** The host, for tables with a `host` column (those the NATS collector writes). */
  host?: string;
}

/** A name (a thread's, the host) as chunks take it. */
interface NameText {
  utf8: Buffer;
  /** Its `duckdb_string_t` when it fits inline; null: stored by a call per row. */
  inline: Uint8Array | null;
}

/** Appends packed rows of one event table to its appender, chunk by chunk. */
export class ChunkFiller {
  /** Scratch for one chunk's strings (16 bytes a row), run ids, wall times and list entries. */
  private readonly scratch = new ArrayBuffer(CHUNK_ROWS * STRING_T_BYTES);
  private readonly scratchBytes = new Uint8Array(this.scratch);
  private readonly scratchView = new DataView(this.scratch);
  /** The run id in every row, as the `run` column's memory; for `filledRun`. */
  private readonly runIds = new Uint32Array(CHUNK_ROWS);
  private filledRun = 0;
  /** Thread names (and the host) as {@link NameText}, by name. */
  private readonly names = new Map<string, NameText>();
  /** Bytes per row of each column's packed section (0: text, a list, or none), as fixedWidth() says. */
  private readonly widths: number[];
  /** The index of the `time` column, which `wall` is derived from. */
  private readonly timeIndex: number;

  constructor(
    private readonly duckdb: typeof Bindings,
    private readonly table: EventTable,
    private readonly appender: DuckDBAppender,
    private readonly dataChunk: DuckDBDataChunk,
  ) {
    this.chunk = dataChunk.chunk;
    this.widths = table.columns.map(fixedWidth);
    this.timeIndex = table.columns.findIndex((column) => column.source.kind === 'time');
  }

  /** The chunk's handle, for the bindings' calls. */
  private readonly chunk: Bindings.DataChunk;

  /** Appends every row of `packed`, stamped with `stamp`. */
  append(packed: PackedRows<ArrayBuffer>, stamp: RowStamp): void {
    if (stamp.run !== this.filledRun) {
      this.runIds.fill(stamp.run);
      this.filledRun = stamp.run;
    }
    for (let from = 0; from < packed.rows; from += CHUNK_ROWS) {
      const count = Math.min(CHUNK_ROWS, packed.rows - from);
      this.duckdb.data_chunk_reset(this.chunk);
      this.table.columns.forEach((column, i) => {
        this.fillColumn(column, i, packed, from, count, stamp);
      });
      this.duckdb.data_chunk_set_size(this.chunk, count);
      this.appender.appendDataChunk(this.dataChunk);
    }
  }

  /** Fills column `index` of the chunk with rows [from, from + count) of `packed`. */
  private fillColumn(
    column: StoredColumn,
    index: number,
    packed: PackedRows<ArrayBuffer>,
    from: number,
    count: number,
    stamp: RowStamp,
  ): void {
    const vector = this.duckdb.data_chunk_get_vector(this.chunk, index);
    const at = packed.sections[index]!;
    const source = column.source;
    if (source.kind === 'run') {
      this.duckdb.copy_data_to_vector(vector, 0, this.runIds.buffer, 0, count * 4);
    } else if (source.kind === 'host') {
      this.fillConstant(vector, stamp.host ?? '', count);
    } else if (source.kind === 'wall') {
      this.fillWall(vector, packed, from, count, stamp.clockOffsetUs);
    } else if (source.kind === 'comm') {
      this.fillComm(vector, packed, at, from, count);
    } else if (this.widths[index]! > 0) {
      const width = this.widths[index]!;
      this.duckdb.copy_data_to_vector(vector, 0, packed.buffer, at + from * width, count * width);
    } else if (column.type === 'VARCHAR' || column.type === 'BLOB') {
      this.fillStrings(vector, packed.buffer, at, packed.rows, from, count, column.type === 'VARCHAR');
    } else {
      const shape = (source as { shape: { element: { size: number } } }).shape;
      this.fillList(vector, packed.buffer, at, packed.rows, from, count, shape.element.size);
    }
  }

  /**
   * `wall` = ⌊`time` / 1000⌋ + the clock offset, in µs, exact without a BigInt per row: with `time`
   * = high·2^32 + low, ⌊time / 1000⌋ = high·4294967 + ⌊(high·296 + low) / 1000⌋, every term an
   * integer a double holds exactly (while `time` is below 2^53 ns, 104 days of uptime, and far
   * beyond: the terms stay exact until high·4294967 reaches 2^53).
   */
  private fillWall(
    vector: Bindings.Vector,
    packed: PackedRows<ArrayBuffer>,
    from: number,
    count: number,
    clockOffsetUs: number,
  ): void {
    const timeAt = packed.sections[this.timeIndex]!;
    const time = new Uint32Array(packed.buffer, timeAt + from * 8, count * 2);
    const wall = new Uint32Array(this.scratch, 0, count * 2);
    for (let i = 0; i < count * 2; i += 2) {
      const high = time[i + 1]!;
      const micros = high * 4294967 + Math.floor((high * 296 + time[i]!) / 1000) + clockOffsetUs;
      wall[i] = micros % 4294967296;
      wall[i + 1] = Math.floor(micros / 4294967296);
    }
    this.duckdb.copy_data_to_vector(vector, 0, this.scratch, 0, count * 8);
  }

  /** The same text in every row (the host). */
  private fillConstant(vector: Bindings.Vector, text: string, count: number): void {
    this.fillNames(vector, [this.nameText(text)], new Uint32Array(count), count);
  }

  /** Thread names, from the packed section's indexes into the message's names. */
  private fillComm(
    vector: Bindings.Vector,
    packed: PackedRows<ArrayBuffer>,
    at: number,
    from: number,
    count: number,
  ): void {
    const indexes = new Uint32Array(packed.buffer, at + from * 4, count);
    this.fillNames(
      vector,
      packed.comms.map((name) => this.nameText(name)),
      indexes,
      count,
    );
  }

  /** Row i gets `texts[indexes[i]]`: inline strings in one copy, then a call for each long one. */
  private fillNames(vector: Bindings.Vector, texts: readonly NameText[], indexes: Uint32Array, count: number): void {
    const bytes = this.scratchBytes;
    let long = false;
    for (let i = 0; i < count; i++) {
      const inline = texts[indexes[i]!]!.inline;
      if (inline) bytes.set(inline, i * STRING_T_BYTES);
      else long = true;
    }
    this.duckdb.copy_data_to_vector(vector, 0, this.scratch, 0, count * STRING_T_BYTES);
    if (!long) return;
    for (let i = 0; i < count; i++) {
      const text = texts[indexes[i]!]!;
      if (!text.inline) this.duckdb.vector_assign_string_element_len(vector, i, text.utf8);
    }
  }

  /** `name` as a chunk takes it, made once per name (bounded: the map is emptied past 4096 names). */
  private nameText(name: string): NameText {
    let text = this.names.get(name);
    if (text === undefined) {
      const utf8 = Buffer.from(name);
      text = { utf8, inline: utf8.length > INLINE_BYTES ? null : inlineString(utf8, 0, utf8.length) };
      if (this.names.size > 4096) this.names.clear();
      this.names.set(name, text);
    }
    return text;
  }

  /**
   * Text or bytes from a packed section (offsets, then data). Text that is not valid UTF-8 (a
   * kernel string is any bytes) is stored as Node decodes it, with U+FFFD for the bad bytes:
   * DuckDB requires valid UTF-8 in a VARCHAR.
   */
  private fillStrings(
    vector: Bindings.Vector,
    buffer: ArrayBuffer,
    at: number,
    rows: number,
    from: number,
    count: number,
    text: boolean,
  ): void {
    const offsets = new Uint32Array(buffer, at, rows + 1);
    const data = new Uint8Array(buffer, at + arenaBytes((rows + 1) * 4));
    const out = this.scratchBytes;
    const view = this.scratchView;
    out.fill(0, 0, count * STRING_T_BYTES);
    let ascii = true;
    for (let i = 0; i < count; i++) {
      const start = offsets[from + i]!;
      const length = offsets[from + i + 1]! - start;
      view.setUint32(i * STRING_T_BYTES, length, true);
      if (length > INLINE_BYTES) continue;
      for (let j = 0; j < length; j++) {
        const byte = data[start + j]!;
        out[i * STRING_T_BYTES + 4 + j] = byte;
        if (byte >= 0x80) ascii = false;
      }
    }
    this.duckdb.copy_data_to_vector(vector, 0, this.scratch, 0, count * STRING_T_BYTES);
    // The rows the copy did not settle: long values, and (text with a byte ≥ 0x80) invalid UTF-8.
    for (let i = 0; i < count; i++) {
      const start = offsets[from + i]!;
      const end = offsets[from + i + 1]!;
      const long = end - start > INLINE_BYTES;
      if (!long && (ascii || !text)) continue;
      const value = data.subarray(start, end);
      if (text && !isUtf8(value)) {
        this.duckdb.vector_assign_string_element(vector, i, Buffer.from(value).toString('utf8'));
      } else if (long) {
        this.duckdb.vector_assign_string_element_len(vector, i, value);
      }
    }
  }

  /** A list of numbers per row: entries (offset, length in elements), then the child's values. */
  private fillList(
    vector: Bindings.Vector,
    buffer: ArrayBuffer,
    at: number,
    rows: number,
    from: number,
    count: number,
    elementSize: number,
  ): void {
    const offsets = new Uint32Array(buffer, at, rows + 1);
    const dataAt = at + arenaBytes((rows + 1) * 4);
    const first = offsets[from]!;
    // Each entry is two u64 (offset, length in elements); both fit u32 (a chunk's bytes do).
    const entries = new Uint32Array(this.scratch, 0, count * 4);
    for (let i = 0; i < count; i++) {
      const start = offsets[from + i]!;
      entries[i * 4] = (start - first) / elementSize;
      entries[i * 4 + 1] = 0;
      entries[i * 4 + 2] = (offsets[from + i + 1]! - start) / elementSize;
      entries[i * 4 + 3] = 0;
    }
    this.duckdb.copy_data_to_vector(vector, 0, this.scratch, 0, count * 16);
    const bytes = offsets[from + count]! - first;
    const elements = bytes / elementSize;
    this.duckdb.list_vector_reserve(vector, elements);
    this.duckdb.list_vector_set_size(vector, elements);
    const child = this.duckdb.list_vector_get_child(vector);
    if (bytes > 0) this.duckdb.copy_data_to_vector(child, 0, buffer, dataAt + first, bytes);
  }
}

/** A `duckdb_string_t` holding bytes [from, to) of `utf8` inline (at most 12), zero-padded. */
function inlineString(utf8: Uint8Array, from: number, to: number): Uint8Array {
  const string = new Uint8Array(STRING_T_BYTES);
  new DataView(string.buffer).setUint32(0, to - from, true);
  string.set(utf8.subarray(from, to), 4);
  return string;
}
