/**
 * One event's rows of a columnar batch, copied into one buffer shared with the store's worker: the
 * columns' memory is reused by the session for its next batch, and the worker appends later, on
 * another thread. Each column is a section of the buffer, 8-byte aligned, laid out as the worker
 * reads it (chunk-filler.ts):
 *
 * - numbers and booleans: the typed array's bytes;
 * - text and bytes: `rows + 1` u32 offsets (the first 0), then the values' bytes back to back;
 * - `comm`: a u32 per row indexing the message's `comms`;
 * - `run`, `host` and `wall`: nothing (the writer knows the run and host, and derives `wall` from `time`).
 *
 * The buffer is a SharedArrayBuffer, shared rather than transferred: the first ArrayBuffer a thread
 * detaches (by transferring it) makes V8 discard all of that thread's optimised code that assumed
 * no buffer is ever detached. On the capture's thread that is every warmed decoder, and it happened
 * at the first batch of a flood: 50–100 ms of unoptimised decoding, which filled the ring and lost
 * records in about a third of the runs of the getppid flood stored into DuckDB.
 */
import { arenaBytes } from '../decode/columns.js';
import type { BytesColumn, EventColumns, StringColumn } from '../decode/columns.js';
import type { EventTable, StoredColumn } from './table-schema.js';

/** What the main thread posts to the worker for one event's rows of one batch. */
export interface PackedRows<Memory extends ArrayBufferLike = SharedArrayBuffer> {
  kind: 'rows';
  /** Index of the event's table in the store's tables. */
  table: number;
  rows: number;
  /** Shared with the worker, which sends it back for reuse once the rows are taken. */
  buffer: Memory;
  /** Bytes of `buffer` the sections fill. */
  bytes: number;
  /** Byte offset of each column's section in `buffer`, in the table's column order (-1: none). */
  sections: number[];
  /** The distinct thread names the `comm` section indexes. */
  comms: string[];
}

/** Bytes per row of a fixed-width column's section (0: a packed or absent one). */
export function fixedWidth(column: StoredColumn): number {
  const source = column.source;
  switch (source.kind) {
    case 'run':
    case 'host':
    case 'wall':
      return 0;
    case 'time':
      return 8;
    case 'cpu':
    case 'pid':
    case 'tid':
    case 'comm':
      return 4;
    case 'field': {
      const shape = source.shape;
      if (shape.kind === 'int') return shape.size;
      if (shape.kind === 'int64') return 8;
      return shape.kind === 'bool' ? 1 : 0;
    }
  }
}

/** The packed (text or bytes) column of `source`, or undefined. */
function packedColumn(columns: EventColumns, column: StoredColumn): StringColumn | BytesColumn | undefined {
  if (column.source.kind !== 'field' || fixedWidth(column) !== 0) return undefined;
  return columns.fields[column.source.field] as StringColumn | BytesColumn;
}

/** The buffer bytes {@link packRows} needs for `columns` in `table`. */
export function packedBytes(table: EventTable, columns: EventColumns): number {
  let bytes = 0;
  for (const column of table.columns) {
    const width = fixedWidth(column);
    if (width > 0) bytes += arenaBytes(width * columns.length);
    const packed = packedColumn(columns, column);
    if (packed !== undefined)
      bytes += arenaBytes((columns.length + 1) * 4) + arenaBytes(packed.offsets[packed.length]!);
  }
  return bytes;
}

/** The typed array holding a fixed-width column's values. */
function fixedValues(columns: EventColumns, column: StoredColumn): ArrayBufferView {
  const source = column.source;
  switch (source.kind) {
    case 'time':
      return columns.time;
    case 'cpu':
      return columns.cpu;
    case 'pid':
      return columns.pid;
    case 'tid':
      return columns.tid;
    default:
      return columns.fields[(source as { field: string }).field] as ArrayBufferView;
  }
}

/** Writes each row's index in `comms` (appended to as new names come) at `at` of `buffer`. */
function packComms(columns: EventColumns, buffer: SharedArrayBuffer, at: number, comms: string[]): void {
  const indexes = new Uint32Array(buffer, at, columns.length);
  const seen = new Map<string, number>();
  const names = columns.comm;
  let last = '';
  let lastIndex = -1;
  for (let i = 0; i < columns.length; i++) {
    const name = names[i]!;
    // Rows of one thread come in runs: most rows cost one compare.
    if (name !== last || lastIndex < 0) {
      let index = seen.get(name);
      if (index === undefined) {
        index = comms.push(name) - 1;
        seen.set(name, index);
      }
      last = name;
      lastIndex = index;
    }
    indexes[i] = lastIndex;
  }
}

/** Copies a packed column: its offsets (already starting at 0), then its bytes. Returns the end. */
function packVariable(packed: StringColumn | BytesColumn, buffer: SharedArrayBuffer, at: number): number {
  const rows = packed.length;
  new Uint32Array(buffer, at, rows + 1).set(packed.offsets.subarray(0, rows + 1));
  const dataAt = at + arenaBytes((rows + 1) * 4);
  const length = packed.offsets[rows]!;
  new Uint8Array(buffer, dataAt, length).set(packed.data.subarray(0, length));
  return dataAt + arenaBytes(length);
}

/**
 * Packs `columns` (the rows of `table`'s event in one batch) into `buffer`, which holds at least
 * {@link packedBytes} bytes.
 */
export function packRows(
  table: EventTable,
  index: number,
  columns: EventColumns,
  buffer: SharedArrayBuffer,
): PackedRows {
  const rows = columns.length;
  const sections: number[] = [];
  const comms: string[] = [];
  let at = 0;
  for (const column of table.columns) {
    const width = fixedWidth(column);
    const packed = packedColumn(columns, column);
    if (width === 0 && packed === undefined) {
      sections.push(-1);
      continue;
    }
    sections.push(at);
    if (packed !== undefined) {
      at = packVariable(packed, buffer, at);
    } else if (column.source.kind === 'comm') {
      packComms(columns, buffer, at, comms);
      at += arenaBytes(rows * 4);
    } else {
      const values = fixedValues(columns, column);
      new Uint8Array(buffer, at, rows * width).set(new Uint8Array(values.buffer, values.byteOffset, rows * width));
      at += arenaBytes(rows * width);
    }
  }
  return { kind: 'rows', table: index, rows, buffer, bytes: at, sections, comms };
}

/**
 * A thread's own copy of the rows it takes, in one buffer reused from take to take: DuckDB's
 * bindings copy into vectors only from an ArrayBuffer, not from shared memory.
 */
export class LocalRows {
  private memory = new ArrayBuffer(0);

  /** `packed` with its bytes copied into this thread's buffer, valid until the next copy. */
  copy(packed: PackedRows): PackedRows<ArrayBuffer> {
    if (this.memory.byteLength < packed.bytes) this.memory = new ArrayBuffer(packed.bytes);
    new Uint8Array(this.memory, 0, packed.bytes).set(new Uint8Array(packed.buffer, 0, packed.bytes));
    return { ...packed, buffer: this.memory };
  }
}
