/**
 * Synthetic columns for warming an EventWriter's serializers before a capture starts. A flood that
 * starts with the capture otherwise meets them unoptimised, and V8 then compiles them on the
 * reader's own core while the rings fill: on the 2 M getppid flood, `trace --format jsonl` spent
 * ~400 ms of compiler time in its first second (`node --trace-opt`), most of it on the generated
 * `rows` functions, recompiled after deoptimising on paths the first rows had not taken.
 *
 * The rows look like real ones where the generated code branches: times of a running monotonic
 * clock (the leading-digits cache), pids and values of every digit count, ASCII text.
 */
import {
  BytesColumn,
  type Column,
  ColumnArena,
  type ColumnBatch,
  type EventColumns,
  StringColumn,
} from '../decode/columns.js';
import { type ColumnShape, columnShape } from '../decode/column-shape.js';
import type { FormatField } from '../decode/format.js';

/** Rows per synthetic batch: about one real batch of getppid records (256 KiB of ring). */
const WARM_UP_ROWS = 4096;

/** Time between synthetic rows: a batch spans 0.4 s, so the times' leading digits change in it. */
const TIME_STEP_NS = 100_000;

/** A value of row r with 1 to 10 digits (a multiplicative hash spreads the digit counts). */
function spread(r: number): number {
  return Math.imul(r + 1, 2654435761) >>> (r % 30);
}

/** A typed array of `rows` integers of `size` bytes, negative on odd rows when signed. */
function intColumn(size: 1 | 2 | 4, signed: boolean, rows: number): Column {
  const column = signed
    ? size === 1
      ? new Int8Array(rows)
      : size === 2
        ? new Int16Array(rows)
        : new Int32Array(rows)
    : size === 1
      ? new Uint8Array(rows)
      : size === 2
        ? new Uint16Array(rows)
        : new Uint32Array(rows);
  for (let r = 0; r < rows; r++) column[r] = signed && r % 2 === 1 ? -spread(r) : spread(r);
  return column;
}

/** A 64-bit column: values below 2^53, as most are (pointers, sizes, counters). */
function int64Column(signed: boolean, rows: number): Column {
  const column = signed ? new BigInt64Array(rows) : new BigUint64Array(rows);
  for (let r = 0; r < rows; r++) {
    const value = BigInt(spread(r)) * BigInt(r + 1);
    column[r] = signed && r % 2 === 1 ? -value : value;
  }
  return column;
}

/** A string or bytes column of short ASCII values. */
function packedColumn(kind: 'string' | 'bytes', rows: number): Column {
  const values = Array.from({ length: 8 }, (_, k) => Buffer.from(`/usr/lib/warm-up-${k}.so`));
  const bytes = rows * values[0]!.length;
  const arena = new ColumnArena();
  arena.reset(StringColumn.arenaBytes(rows, bytes));
  const column = kind === 'string' ? new StringColumn(rows, bytes, arena) : new BytesColumn(rows, bytes, arena);
  for (let r = 0; r < rows; r++) {
    const value = values[r % values.length]!;
    column.push(value, 0, value.length);
  }
  return column;
}

/** The column of a field read as `value`. */
function fieldColumn(value: ColumnShape, rows: number): Column {
  switch (value.kind) {
    case 'int':
      return intColumn(value.size, value.signed, rows);
    case 'int64':
      return int64Column(value.signed, rows);
    case 'bool':
      return Uint8Array.from({ length: rows }, (_, r) => r % 2);
    case 'string':
      return packedColumn('string', rows);
    case 'elements':
      return packedColumn('bytes', rows);
  }
}

/**
 * A batch of `rows` synthetic rows of event `name` with `fields`: one thread of this process on
 * CPU 0, with times from now on.
 */
export function syntheticBatch(name: string, fields: readonly FormatField[], rows = WARM_UP_ROWS): ColumnBatch {
  const now = process.hrtime.bigint();
  // An array of strings as the decoders make it (a holey one has another map, and deoptimises).
  const comm: string[] = [];
  // And names as records and /proc give them: strings made at run time, not literals.
  const thread = Buffer.from('perf-bridge').toString('latin1');
  for (let r = 0; r < rows; r++) comm.push(thread);
  const columns: EventColumns = {
    length: rows,
    cpu: new Uint32Array(rows),
    pid: new Uint32Array(rows).fill(process.pid),
    tid: new Uint32Array(rows).fill(process.pid),
    comm,
    time: BigUint64Array.from({ length: rows }, (_, r) => now + BigInt(TIME_STEP_NS * r)),
    fields: Object.fromEntries(fields.map((field) => [field.name, fieldColumn(columnShape(field), rows)])),
  };
  return { length: rows, events: new Map([[name, columns]]) };
}
