/**
 * Column types of the columnar mode: per batch and per event, one typed array per field, filled
 * without allocating anything per event. Text and byte fields share one buffer per column.
 */

/** Variable-length values of one field: `data[offsets[i], offsets[i + 1])` is row i. */
abstract class PackedColumn<T> {
  /** Start of each row's bytes in `data`, plus one end offset. */
  readonly offsets: Uint32Array;
  /** The rows' bytes, back to back. */
  data: Buffer;
  /** Rows filled so far. */
  length = 0;
  private end = 0;

  constructor(rows: number, byteCapacity: number) {
    this.offsets = new Uint32Array(rows + 1);
    // Not from the shared pool: the column owns its memory, and .buffer is exactly its bytes.
    this.data = Buffer.allocUnsafeSlow(byteCapacity);
  }

  /** Appends bytes [from, to) of `source` as the next row. */
  push(source: Buffer, from: number, to: number): void {
    const bytes = to - from;
    if (bytes > 32) {
      source.copy(this.data, this.end, from, to);
      this.end += bytes;
    } else {
      // Short values (comm, most paths) copy faster by hand than through Buffer.copy's checks.
      const data = this.data;
      let end = this.end;
      for (let i = from; i < to; i++) data[end++] = source[i]!;
      this.end = end;
    }
    this.offsets[++this.length] = this.end;
  }

  /** Row i decoded. */
  abstract get(i: number): T;
}

/** A text field (`char[N]`, `__data_loc char[]`): UTF-8 bytes, decoded only when read. */
export class StringColumn extends PackedColumn<string> {
  readonly kind = 'string';

  /** Row i as a string. */
  get(i: number): string {
    return this.data.toString('utf8', this.offsets[i]!, this.offsets[i + 1]!);
  }
}

/** A field of raw bytes or an array of elements: row i as a view of its bytes. */
export class BytesColumn extends PackedColumn<Uint8Array> {
  readonly kind = 'bytes';

  /** Row i as a Uint8Array view into `data` (copy it to keep it beyond the batch's life). */
  get(i: number): Uint8Array {
    return this.data.subarray(this.offsets[i]!, this.offsets[i + 1]!);
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

/** Every row of one event in a batch: the sample columns and one column per field. */
export interface EventColumns {
  readonly length: number;
  readonly cpu: Uint32Array;
  readonly pid: Uint32Array;
  readonly tid: Uint32Array;
  /** CLOCK_MONOTONIC ns. */
  readonly time: BigUint64Array;
  /** By field name, without `common_*`. Booleans are a Uint8Array of 0/1. */
  readonly fields: Readonly<Record<string, Column>>;
}

/** A batch in columnar form: rows grouped by event, in ring order within each event. */
export interface ColumnBatch {
  /** Rows in the whole batch. */
  readonly length: number;
  /** By event name (`group:name`, or a probe's label). */
  readonly events: ReadonlyMap<string, EventColumns>;
}
