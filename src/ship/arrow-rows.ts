/**
 * One event's packed rows (store/packed-batch.ts) as an Apache Arrow IPC stream holding one record
 * batch, and back. The columns are the event table's, without `run`, `host` and `wall` (the
 * collector stamps those): `time` UInt64 (CLOCK_MONOTONIC ns), `cpu`/`pid`/`tid` UInt32, `comm` a
 * dictionary of UTF-8 names, integer fields in their own width and sign, text as Utf8, bytes as
 * Binary, arrays of numbers as List. The schema's metadata says where the batch comes from
 * (`perf-bridge.batch`, a {@link BatchOrigin}) and the event's table (`perf-bridge.table`), so
 * that any Arrow reader can use the stream and the collector needs nothing else.
 */
import type * as Arrow from 'apache-arrow';

import { arenaBytes } from '../decode/columns.js';
import { type PackedRows, fixedWidth } from '../store/packed-batch.js';
import type { EventTable, StoredColumn } from '../store/table-schema.js';

/** Where a batch comes from: the collector's key for exactly-once storing is (host, run, seq). */
export interface BatchOrigin {
  host: string;
  kernel: string;
  /** The publisher's run: its start on the wall clock, µs since the epoch (unique per host). */
  startedUs: number;
  /** Wall-clock µs minus CLOCK_MONOTONIC µs on the host: `wall` = ⌊time / 1000⌋ + this. */
  clockOffsetUs: number;
  /** The batch's number in its run, from 1. */
  seq: number;
}

const ORIGIN_KEY = 'perf-bridge.batch';
const TABLE_KEY = 'perf-bridge.table';

/** Whether a column travels in the Arrow batch (the collector stamps the others). */
function travels(column: StoredColumn): boolean {
  const kind = column.source.kind;
  return kind !== 'run' && kind !== 'host' && kind !== 'wall';
}

/** The Arrow integer type of `size` bytes. */
function intType(arrow: typeof Arrow, size: number, signed: boolean): Arrow.Int {
  switch (size) {
    case 1:
      return signed ? new arrow.Int8() : new arrow.Uint8();
    case 2:
      return signed ? new arrow.Int16() : new arrow.Uint16();
    case 4:
      return signed ? new arrow.Int32() : new arrow.Uint32();
    default:
      return signed ? new arrow.Int64() : new arrow.Uint64();
  }
}

/** A typed array of integers. */
type IntArray =
  Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

/** The typed array constructor of an integer of `size` bytes (over shared memory too). */
function intArray(
  size: number,
  signed: boolean,
): new (buffer: ArrayBufferLike, at: number, length: number) => IntArray {
  switch (size) {
    case 1:
      return signed ? Int8Array : Uint8Array;
    case 2:
      return signed ? Int16Array : Uint16Array;
    case 4:
      return signed ? Int32Array : Uint32Array;
    default:
      return signed ? BigInt64Array : BigUint64Array;
  }
}

/** Size and sign of a fixed-width column's values. */
function scalarOf(column: StoredColumn): { size: number; signed: boolean; bool: boolean } {
  const source = column.source;
  if (source.kind !== 'field') return { size: fixedWidth(column), signed: false, bool: false };
  const shape = source.shape;
  if (shape.kind === 'bool') return { size: 1, signed: false, bool: true };
  if (shape.kind === 'int64') return { size: 8, signed: shape.signed, bool: false };
  if (shape.kind === 'int') return { size: shape.size, signed: shape.signed, bool: false };
  return { size: 0, signed: false, bool: false };
}

/** A packed section's offsets and data. */
function packedSection(packed: PackedRows<ArrayBufferLike>, at: number): { offsets: Int32Array; data: Uint8Array } {
  const offsets = new Int32Array(packed.buffer, at, packed.rows + 1);
  const data = new Uint8Array(packed.buffer, at + arenaBytes((packed.rows + 1) * 4), offsets[packed.rows]);
  return { offsets, data };
}

/** One column's Arrow data. */
function columnData(
  arrow: typeof Arrow,
  column: StoredColumn,
  packed: PackedRows<ArrayBufferLike>,
  at: number,
): Arrow.Data {
  const length = packed.rows;
  if (column.source.kind === 'comm') {
    const type = new arrow.Dictionary(new arrow.Utf8(), new arrow.Uint32());
    const dictionary = arrow.vectorFromArray(packed.comms, new arrow.Utf8());
    return arrow.makeData({ type, length, data: new Uint32Array(packed.buffer, at, length), dictionary });
  }
  const scalar = scalarOf(column);
  if (scalar.bool) {
    const bytes = new Uint8Array(packed.buffer, at, length);
    const bits = new Uint8Array(Math.ceil(length / 8));
    for (let i = 0; i < length; i++) if (bytes[i]) bits[i >> 3]! |= 1 << (i & 7);
    return arrow.makeData({ type: new arrow.Bool(), length, data: bits });
  }
  if (scalar.size > 0) {
    const data = new (intArray(scalar.size, scalar.signed))(packed.buffer, at, length);
    return arrow.makeData({ type: intType(arrow, scalar.size, scalar.signed), length, data });
  }
  const { offsets, data } = packedSection(packed, at);
  if (column.type === 'VARCHAR') return arrow.makeData({ type: new arrow.Utf8(), length, valueOffsets: offsets, data });
  if (column.type === 'BLOB') return arrow.makeData({ type: new arrow.Binary(), length, valueOffsets: offsets, data });
  // A list of integers: offsets in elements, the elements as the child.
  const shape = (column.source as { shape: { element: { size: number; signed: boolean } } }).shape;
  const { size, signed } = shape.element;
  const elementOffsets = offsets.map((offset) => offset / size);
  const elementType = intType(arrow, size, signed);
  const child = arrow.makeData({
    type: elementType,
    length: data.length / size,
    data: new (intArray(size, signed))(packed.buffer, data.byteOffset, data.length / size),
  });
  const type = new arrow.List(new arrow.Field('item', elementType, false));
  return arrow.makeData({ type, length, valueOffsets: elementOffsets, child });
}

/** `packed` (rows of `table`'s event) as Arrow IPC stream bytes, with `origin` in the schema's metadata. */
export function encodeRows(
  arrow: typeof Arrow,
  table: EventTable,
  packed: PackedRows<ArrayBufferLike>,
  origin: BatchOrigin,
): Uint8Array {
  const columns = table.columns
    .map((column, i) => ({ column, at: packed.sections[i]! }))
    .filter((c) => travels(c.column));
  const data = columns.map(({ column, at }) => columnData(arrow, column, packed, at));
  const fields = columns.map(({ column }, i) => new arrow.Field(column.name, data[i]!.type, false));
  const metadata = new Map([
    [ORIGIN_KEY, JSON.stringify(origin)],
    [TABLE_KEY, JSON.stringify(table)],
  ]);
  const schema = new arrow.Schema(fields, metadata);
  const struct = arrow.makeData({ type: new arrow.Struct(fields), length: packed.rows, children: data });
  return arrow.tableToIPC(new arrow.Table(new arrow.RecordBatch(schema, struct)), 'stream');
}

/** What {@link decodeRows} reads from one message. */
export interface ReceivedRows {
  origin: BatchOrigin;
  /** The event's table as the publisher built it (no `host` column). */
  table: EventTable;
  /** The rows, packed as the store packs them, for `table` (run, host and wall have no section). */
  packed: PackedRows<ArrayBuffer>;
}

/** Copies `view`'s bytes to `at` of `buffer`; returns the next aligned offset. */
function put(buffer: ArrayBuffer, at: number, view: ArrayBufferView): number {
  new Uint8Array(buffer, at, view.byteLength).set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
  return at + arenaBytes(view.byteLength);
}

/** Bytes a column's section takes when unpacked from `data`. */
function unpackedBytes(column: StoredColumn, data: Arrow.Data, rows: number): number {
  if (column.source.kind === 'comm') return arenaBytes(rows * 4);
  const scalar = scalarOf(column);
  if (scalar.size > 0) return arenaBytes(rows * scalar.size);
  const offsets = data.valueOffsets as Int32Array;
  const child = data.children[0];
  const elementSize = child ? (child.values as ArrayBufferView & { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT : 1;
  return arenaBytes((rows + 1) * 4) + arenaBytes((offsets[data.offset + rows]! - offsets[data.offset]!) * elementSize);
}

/** Writes one column's section from its Arrow data; returns the next offset. */
function unpackColumn(
  column: StoredColumn,
  data: Arrow.Data,
  rows: number,
  buffer: ArrayBuffer,
  at: number,
  comms: string[],
): number {
  const start = data.offset;
  if (column.source.kind === 'comm') {
    comms.push(...(data.dictionary!.toArray() as string[]));
    return put(buffer, at, (data.values as Uint32Array).subarray(start, start + rows));
  }
  const scalar = scalarOf(column);
  if (scalar.bool) {
    const bits = data.values as Uint8Array;
    const bytes = new Uint8Array(buffer, at, rows);
    for (let i = 0; i < rows; i++) bytes[i] = (bits[(start + i) >> 3]! >> ((start + i) & 7)) & 1;
    return at + arenaBytes(rows);
  }
  if (scalar.size > 0) return put(buffer, at, (data.values as Uint8Array).subarray(start, start + rows));
  // Text, bytes or a list: offsets from 0 (in bytes), then the values.
  const offsets = (data.valueOffsets as Int32Array).subarray(start, start + rows + 1);
  const child = data.children[0];
  const values = (child ? child.values : data.values) as Uint8Array;
  const size = (values as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
  const first = offsets[0]!;
  const byteOffsets = new Int32Array(buffer, at, rows + 1);
  for (let i = 0; i <= rows; i++) byteOffsets[i] = (offsets[i]! - first) * size;
  const bytes = new Uint8Array(values.buffer, values.byteOffset + first * size, (offsets[rows]! - first) * size);
  return put(buffer, at + arenaBytes((rows + 1) * 4), bytes);
}

/** Reads one message written by {@link encodeRows}. */
export function decodeRows(arrow: typeof Arrow, bytes: Uint8Array): ReceivedRows {
  const table = arrow.tableFromIPC(bytes);
  const metadata = table.schema.metadata;
  const origin = JSON.parse(metadata.get(ORIGIN_KEY) ?? 'null') as BatchOrigin | null;
  const eventTable = JSON.parse(metadata.get(TABLE_KEY) ?? 'null') as EventTable | null;
  if (origin === null || eventTable === null || table.batches.length !== 1) {
    throw new Error('not a perf-bridge batch: its Arrow schema lacks perf-bridge.batch and perf-bridge.table');
  }
  const batch = table.batches[0]!;
  const rows = batch.numRows;
  const present = eventTable.columns.map((column): Arrow.Data | undefined =>
    travels(column) ? (batch.getChild(column.name)!.data[0] as Arrow.Data) : undefined,
  );
  const size = eventTable.columns.reduce(
    (sum, column, i) => sum + (present[i] ? unpackedBytes(column, present[i], rows) : 0),
    0,
  );
  const buffer = new ArrayBuffer(size);
  const comms: string[] = [];
  const sections: number[] = [];
  let at = 0;
  eventTable.columns.forEach((column, i) => {
    const data = present[i];
    sections.push(data ? at : -1);
    if (data) at = unpackColumn(column, data, rows, buffer, at, comms);
  });
  return { origin, table: eventTable, packed: { kind: 'rows', table: 0, rows, buffer, bytes: at, sections, comms } };
}
