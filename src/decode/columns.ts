/**
 * Column types of the columnar mode: per batch and per event, one typed array per field, filled
 * without allocating anything per event. Text and byte fields share one buffer per column. All of
 * an event's columns are views into one arena that is reused for the next batch.
 */
import type { CallStack } from '../symbols/stack-table.js';

/** The memory of an arena that has held nothing yet (shared: it holds nothing). */
const NO_MEMORY = new ArrayBuffer(0);

/**
 * Memory reused from batch to batch for one event's columns. Fresh memory for every batch means a
 * page fault for every page it touches (a 256 KiB batch of getppid records fills ~110 KiB of
 * columns); reuse costs none once the arena has grown to the batch size.
 */
export class ColumnArena {
  private buffer = NO_MEMORY;
  private used = 0;

  /** The memory columns taken since the last reset() view: replaced when a reset() grows it. */
  get memory(): ArrayBuffer {
    return this.buffer;
  }

  /** Starts a batch that needs at most `bytes` (alignment padding included by the caller). */
  reset(bytes: number): void {
    if (bytes > this.buffer.byteLength) this.buffer = new ArrayBuffer(Math.max(bytes, this.buffer.byteLength * 2));
    this.used = 0;
  }

  /** `bytes` of the arena, 8-byte aligned: returns the buffer and the offset to view them at. */
  take(bytes: number): { buffer: ArrayBuffer; offset: number } {
    const offset = this.used;
    this.used += arenaBytes(bytes);
    return { buffer: this.buffer, offset };
  }
}

/**
 * An arena that hands out regions placed beforehand, whatever size is asked: a column built on it
 * views memory another column of the same kind filled (see {@link withRows}).
 */
class PlacedArena extends ColumnArena {
  private taken = 0;

  constructor(
    private readonly placed: ArrayBuffer,
    private readonly offsetsAt: number,
    private readonly dataAt: number,
  ) {
    super();
  }

  /** The offsets' place, then the data's: the order a packed column takes them in. */
  override take(): { buffer: ArrayBuffer; offset: number } {
    return { buffer: this.placed, offset: this.taken++ === 0 ? this.offsetsAt : this.dataAt };
  }
}

/**
 * The first `rows` rows of a packed column that was laid out for more, as a column of exactly
 * `rows` rows whose `data` is `byteLength` bytes long: the same memory, nothing copied. Columns
 * filled before their row count was known (a walk that fills as it goes) end up the size a column
 * allocated for the count would have.
 */
export function withRows<C extends StringColumn | BytesColumn>(column: C, rows: number, byteLength: number): C {
  const arena = new PlacedArena(
    column.offsets.buffer as ArrayBuffer,
    column.offsets.byteOffset,
    column.data.byteOffset,
  );
  const exact = (
    column.kind === 'string' ? new StringColumn(rows, byteLength, arena) : new BytesColumn(rows, byteLength, arena)
  ) as C;
  exact.length = rows;
  return exact;
}

/** Empties a packed column for a new batch in the same memory (another may have written its first offset). */
export function restartColumn(column: StringColumn | BytesColumn): void {
  column.length = 0;
  column.offsets[0] = 0;
}

/** The arena space one take(`bytes`) uses: `bytes` rounded up to the 8-byte alignment. */
export function arenaBytes(bytes: number): number {
  return Math.ceil(bytes / 8) * 8;
}

/** Variable-length values of one field: `data[offsets[i], offsets[i + 1])` is row i. */
abstract class PackedColumn<T> {
  /** Start of each row's bytes in `data`, plus one end offset. */
  readonly offsets: Uint32Array;
  /** The rows' bytes, back to back. */
  data: Buffer;
  /** Rows filled so far. */
  length = 0;

  constructor(rows: number, byteCapacity: number, arena: ColumnArena) {
    const offsets = arena.take((rows + 1) * 4);
    this.offsets = new Uint32Array(offsets.buffer, offsets.offset, rows + 1);
    this.offsets[0] = 0; // the arena is reused: only what push() writes is defined
    const data = arena.take(byteCapacity);
    this.data = Buffer.from(data.buffer, data.offset, byteCapacity);
  }

  /** Arena bytes a column of `rows` rows holding at most `byteCapacity` bytes takes. */
  static arenaBytes(rows: number, byteCapacity: number): number {
    return arenaBytes((rows + 1) * 4) + arenaBytes(byteCapacity);
  }

  /** Appends bytes [from, to) of `source` as the next row. */
  push(source: Buffer, from: number, to: number): void {
    const bytes = to - from;
    // Where the rows end so far: kept in `offsets` only, which pushText() appends to as well.
    let end = this.offsets[this.length]!;
    if (bytes > 32) {
      source.copy(this.data, end, from, to);
      end += bytes;
    } else {
      // Short values (comm, most paths) copy faster by hand than through Buffer.copy's checks
      // (benchmarks/decode-micro.ts: columnar on the uprobe event's string, against this threshold at 0).
      const data = this.data;
      for (let i = from; i < to; i++) data[end++] = source[i]!;
    }
    this.offsets[++this.length] = end;
  }

  /** Row i decoded. */
  abstract get(i: number): T;
}

/** A text field (`char[N]`, `__data_loc char[]`): UTF-8 bytes, decoded only when read. */
export class StringColumn extends PackedColumn<string> {
  readonly kind = 'string';

  /** Row i as a string. */
  get(i: number): string {
    return this.data.toString('utf8', this.offsets[i], this.offsets[i + 1]);
  }
}

/**
 * Appends the text at [from, to) of `source` (read as words through `view`, a DataView on the same
 * memory with the same offsets), up to its first NUL, as the next row of `column`: one pass that
 * finds the NUL while it copies, four bytes at a time until the word that holds it.
 */
export function pushText(column: StringColumn, source: Buffer, view: DataView, from: number, to: number): void {
  const data = column.data;
  let end = column.offsets[column.length]!;
  let i = from;
  for (; i + 4 <= to; i += 4) {
    const word = view.getUint32(i, true);
    if (((word - 0x01010101) & ~word & 0x80808080) !== 0) break; // one of its bytes is 0
    data[end] = word;
    data[end + 1] = word >>> 8;
    data[end + 2] = word >>> 16;
    data[end + 3] = word >>> 24;
    end += 4;
  }
  for (; i < to; i++) {
    const byte = source[i]!;
    if (byte === 0) break;
    data[end++] = byte;
  }
  column.offsets[++column.length] = end;
}

/** A field of raw bytes or an array of elements: row i as a view of its bytes. */
export class BytesColumn extends PackedColumn<Uint8Array> {
  readonly kind = 'bytes';

  /** Row i as a Uint8Array view into `data` (copy it to keep it past the listener's return). */
  get(i: number): Uint8Array {
    return this.data.subarray(this.offsets[i], this.offsets[i + 1]);
  }
}

/** One field's values for every row of an event in a batch. */
export type Column =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | StringColumn
  | BytesColumn;

/**
 * Every row of one event in a batch: the sample columns and one column per field. The memory is
 * reused for the next batch: the columns are valid until the listener returns; copy what you keep
 * (`pid.slice()`, `filename.get(i)`).
 */
export interface EventColumns {
  readonly length: number;
  readonly cpu: Uint32Array;
  readonly pid: Uint32Array;
  readonly tid: Uint32Array;
  /** Each row's thread name (`comm`) at the time of the event; not reused, so it may be kept. */
  readonly comm: readonly string[];
  /** CLOCK_MONOTONIC ns. */
  readonly time: BigUint64Array;
  /** By field name, without `common_*`. Booleans are a Uint8Array of 0/1. */
  readonly fields: Readonly<Record<string, Column>>;
  /** With the `stack` option: each row's call stack, as its index in the batch's `stacks`. */
  readonly stack?: Uint32Array;
}

/** A batch in columnar form: rows grouped by event, in ring order within each event. */
export interface ColumnBatch {
  /** Rows in the whole batch. */
  readonly length: number;
  /** By event name (`group:name`, or a probe's label). */
  readonly events: ReadonlyMap<string, EventColumns>;
  /** With the `stack` option: the batch's distinct call stacks, which `stack` columns index. */
  readonly stacks?: readonly CallStack[];
}
