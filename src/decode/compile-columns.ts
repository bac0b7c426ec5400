/**
 * Compiles one column filler per event: generated code that writes the fields of an event's rows
 * into its columns, one loop over the rows. 64-bit values are copied as two 32-bit halves into a
 * Uint32Array view of the BigInt column, so no BigInt is created per event. And a second filler
 * that walks a batch of the event's records itself, filling as it goes (see {@link WalkingFiller}).
 */
import { BytesColumn, type Column, type ColumnArena, StringColumn, arenaBytes, pushText, withRows } from './columns.js';
import { type DecodeErrorCounter, dynamicLength, dynamicOffset, resolveDynamic } from './field-readers.js';
import { type EventFormat, type FieldDecoding, type FormatField, assertNumericLayout, fieldEnd } from './format.js';
import { generateFunction, intReadExpression, perRecordBody } from './generated-code.js';
import { type ExclusionCursor, type NameCursor, SampleLayout, recordSize } from './records.js';
import { rawSizeOffset } from '../symbols/call-chain.js';

/** The columns every event has, which a filler writes next to the event's own fields. */
export interface SampleColumns {
  cpu: Uint32Array;
  pid: Uint32Array;
  tid: Uint32Array;
  /** The time column as 32-bit halves, low first. */
  time32: Uint32Array;
  comm: string[];
}

const NO_ROWS = new Uint32Array(0);

/**
 * An event's columns laid out in its arena: the sample columns and the event's own fields, as the
 * fillers write them. A class with every field set at construction: one stable shape, so V8 does
 * not throw away the optimised filler when a field first appears mid-capture (a deoptimisation,
 * and slow batches while it is optimised again).
 */
export class EventColumnsLayout implements SampleColumns {
  cpu = NO_ROWS;
  pid = NO_ROWS;
  tid = NO_ROWS;
  time32 = NO_ROWS;
  time = new BigUint64Array(0);
  comm: string[] = [];
  fields: Record<string, Column> = {};
  stores: unknown[] = [];

  /**
   * Resets `arena` and lays out in it the sample columns and `columns`' field columns for `rows`
   * rows, their raw data `rawBytes` bytes (the names, `comm`, are left to the caller).
   */
  protected layOutIn(arena: ColumnArena, columns: CompiledColumns, rows: number, rawBytes: number): void {
    arena.reset(arenaBytes(rows * 8) + arenaBytes(rows * 12) + columns.arenaBytes(rows, rawBytes));
    const time = arena.take(rows * 8);
    this.time = new BigUint64Array(time.buffer, time.offset, rows);
    this.time32 = new Uint32Array(time.buffer, time.offset, rows * 2);
    const ids = arena.take(rows * 12);
    this.cpu = new Uint32Array(ids.buffer, ids.offset, rows);
    this.pid = new Uint32Array(ids.buffer, ids.offset + rows * 4, rows);
    this.tid = new Uint32Array(ids.buffer, ids.offset + rows * 8, rows);
    const { fields, stores } = columns.allocate(rows, rawBytes, arena);
    this.fields = fields;
    this.stores = stores;
  }
}

/**
 * Fills rows [0, rows) of an event's columns from the sample records at `positions[first, first +
 * rows)` of the batch, which the walk checked (each record's raw data lies inside it): the sample
 * columns, with each row's thread name from `names`, and the fields into `stores`.
 */
export type ColumnFiller = (
  b: Buffer,
  v: DataView,
  positions: Int32Array,
  first: number,
  rows: number,
  samples: SampleColumns,
  names: NameCursor,
  stores: unknown[],
  e: DecodeErrorCounter,
) => void;

/** What a {@link WalkingFiller} needs besides the batch and the columns. */
export interface FillerWalk {
  /** The slots of the session by sample id: a record whose id is not `slot`'s ends the walk. */
  slots: ReadonlyMap<number, unknown>;
  slot: unknown;
  excluded: ExclusionCursor;
  names: NameCursor;
  /** Set by the filler: the raw bytes of the rows it filled. */
  rawBytes: number;
}

/**
 * Walks bytes [0, `length`) of a batch that should hold records of one event only, and fills that
 * event's columns (laid out for as many rows as the batch can hold, and as many raw bytes) as it
 * goes, leaving out the records of excluded processes: one pass over the records instead of a walk
 * that indexes them and a fill that reads them again. Returns the rows filled, or -1 as soon as a
 * record is not a sound record of the event (another event's, an unknown id, a raw part larger
 * than its record, a size that overruns the batch): the caller then decodes the batch the general
 * way, from the start, and the columns' contents are to be thrown away.
 */
export type WalkingFiller = (
  b: Buffer,
  v: DataView,
  length: number,
  walk: FillerWalk,
  samples: SampleColumns,
  stores: unknown[],
  e: DecodeErrorCounter,
) => number;

/** Generated code writing row `r` of the sample columns from the record at `at`. */
const SAMPLE_ROW = `
        const threadId = v.getUint32(at + ${SampleLayout.tid}, true);
        cpu[r] = v.getUint32(at + ${SampleLayout.cpu}, true);
        pid[r] = v.getUint32(at + ${SampleLayout.pid}, true);
        tid[r] = threadId;
        comm[r] = names.nameOf(threadId, v, at);
        time32[2 * r] = v.getUint32(at + ${SampleLayout.time}, true);
        time32[2 * r + 1] = v.getUint32(at + ${SampleLayout.time + 4}, true);`;

/** Generated code finding the raw data (`s`, `n` bytes) of the record at `at`, whose layout is fixed. */
const FIXED_RAW = `const s = at + ${SampleLayout.raw};
        const n = v.getUint32(at + ${SampleLayout.rawSize}, true);`;

/** {@link FIXED_RAW} for records with a call chain, which the walk found to fit their record. */
const CHAINED_RAW = `const rs = rawSizeOffset(v, at, v.getUint16(at + ${SampleLayout.size}, true));
        const s = rs + 4;
        const n = v.getUint32(rs, true);`;

/** How to allocate an event's field columns and fill them. */
export interface CompiledColumns {
  /** Arena bytes the field columns of `rows` rows take, their raw data totalling `rawBytes`. */
  arenaBytes(rows: number, rawBytes: number): number;
  /** Lays out columns for `rows` rows in `arena` (reset for at least arenaBytes()). */
  allocate(rows: number, rawBytes: number, arena: ColumnArena): { fields: Record<string, Column>; stores: unknown[] };
  fill: ColumnFiller;
  fillWalking: WalkingFiller;
  /**
   * -1, or the most frames the event's records' call chains hold (the `stack` option): its raw
   * data then starts after the chain, and only {@link fill} reads such records.
   */
  chainDepth: number;
  /**
   * The columns allocate() laid out, cut to their first `rows` rows, the packed ones to `rawBytes`
   * bytes of data: what allocate(rows, rawBytes) would have returned, viewing the same memory.
   */
  withRows(fields: Record<string, Column>, rows: number, rawBytes: number): Record<string, Column>;
}

type Allocator = (rows: number, rawBytes: number, arena: ColumnArena) => { column: Column; store: unknown };

function typedAllocator(size: number, signed: boolean): Allocator {
  return (rows, _rawBytes, arena) => {
    const { buffer, offset } = arena.take(rows * size);
    switch (size) {
      case 1:
        return wrap(signed ? new Int8Array(buffer, offset, rows) : new Uint8Array(buffer, offset, rows));
      case 2:
        return wrap(signed ? new Int16Array(buffer, offset, rows) : new Uint16Array(buffer, offset, rows));
      case 4:
        return wrap(signed ? new Int32Array(buffer, offset, rows) : new Uint32Array(buffer, offset, rows));
      default: {
        const column = signed ? new BigInt64Array(buffer, offset, rows) : new BigUint64Array(buffer, offset, rows);
        return { column, store: new Uint32Array(buffer, offset, rows * 2) };
      }
    }
  };
}

function wrap(column: Column): { column: Column; store: unknown } {
  return { column, store: column };
}

/**
 * Copies the value a `__data_loc` / `__rel_loc` word at `fieldOffset` names in the record [s, s + n)
 * as the next row of `column` (text up to its first NUL); an empty row, and an error counted, when
 * it points outside the record.
 */
function pushDynamic(
  column: StringColumn | BytesColumn,
  b: Buffer,
  v: DataView,
  s: number,
  n: number,
  fieldOffset: number,
  relative: boolean,
  e: DecodeErrorCounter,
): void {
  const location = resolveDynamic(v, s, n, fieldOffset, relative, e);
  if (location < 0) {
    column.push(b, 0, 0);
    return;
  }
  const from = s + dynamicOffset(location);
  const to = from + dynamicLength(location);
  if (column.kind === 'string') pushText(column, b, v, from, to);
  else column.push(b, from, to);
}

/** Arena bytes of a packed (text or bytes) column: one function, so a plan tells it is packed by it. */
const packedBytes = (rows: number, rawBytes: number): number => StringColumn.arenaBytes(rows, rawBytes);

/** How one field's column is laid out and written by generated code. */
interface FieldPlan {
  allocate: Allocator;
  bytes: (rows: number, rawBytes: number) => number;
  write: string;
  empty: string;
}

function plan(field: FormatField, i: number): FieldPlan {
  const at = `s + ${field.offset}`;
  const d: FieldDecoding = field.decoding;
  const store = `t${i}`;
  const text = (): Allocator => (rows, rawBytes, arena) => wrap(new StringColumn(rows, rawBytes, arena));
  const bytes = (): Allocator => (rows, rawBytes, arena) => wrap(new BytesColumn(rows, rawBytes, arena));
  const fixedBytes = (size: number) => (rows: number) => arenaBytes(rows * size);
  switch (d.kind) {
    case 'int':
      if (d.size === 8) {
        return {
          allocate: typedAllocator(8, d.signed),
          bytes: fixedBytes(8),
          write: `${store}[2 * r] = v.getUint32(${at}, true); ${store}[2 * r + 1] = v.getUint32(${at} + 4, true);`,
          empty: `${store}[2 * r] = 0; ${store}[2 * r + 1] = 0;`, // the arena is reused: write every row
        };
      }
      return {
        allocate: typedAllocator(d.size, d.signed),
        bytes: fixedBytes(d.size),
        write: `${store}[r] = ${intReadExpression(d.size, d.signed, at)};`,
        empty: `${store}[r] = 0;`,
      };
    case 'bool':
      return {
        allocate: typedAllocator(1, false),
        bytes: fixedBytes(1),
        write: `${store}[r] = b[${at}] !== 0 ? 1 : 0;`,
        empty: `${store}[r] = 0;`,
      };
    case 'chars':
      return {
        allocate: text(),
        bytes: packedBytes,
        write: `pushText(${store}, b, v, ${at}, ${at} + ${d.size});`,
        empty: `${store}.push(b, 0, 0);`,
      };
    case 'array':
    case 'bytes':
      return {
        allocate: bytes(),
        bytes: packedBytes,
        write: `${store}.push(b, ${at}, ${at} + ${field.size});`,
        empty: `${store}.push(b, 0, 0);`,
      };
    case 'flexible':
      return d.text
        ? {
            allocate: text(),
            bytes: packedBytes,
            write: `pushText(${store}, b, v, ${at}, s + n);`,
            empty: `${store}.push(b, 0, 0);`,
          }
        : {
            allocate: bytes(),
            bytes: packedBytes,
            write: `${store}.push(b, ${at}, s + n);`,
            empty: `${store}.push(b, 0, 0);`,
          };
    case 'dynamic':
      return {
        allocate: d.text ? text() : bytes(),
        bytes: packedBytes,
        write: `pushDynamic(${store}, b, v, s, n, ${field.offset}, ${d.relative}, e);`,
        empty: `${store}.push(b, 0, 0);`,
      };
  }
}

/**
 * A key of a generated object literal for field `name`: computed when it is `__proto__`, which as a
 * plain key would set the prototype instead of defining an own property.
 */
function literalKey(name: string): string {
  const quoted = JSON.stringify(name);
  return name === '__proto__' ? `[${quoted}]` : quoted;
}

/**
 * Generated functions building an event's `fields` object as one object literal: every batch's
 * object has the same shape (a fast property access for the listener), built without a
 * defineProperty per column. `fieldsOf` takes the columns in field order; `withRows` cuts each
 * column of a `fields` object to its first rows (see CompiledColumns.withRows).
 */
function fieldObjectBuilders(
  fields: readonly FormatField[],
  packed: readonly boolean[],
): {
  fieldsOf: (columns: readonly Column[]) => Record<string, Column>;
  withRows: CompiledColumns['withRows'];
} {
  const keys = fields.map((field) => literalKey(field.name));
  const fieldsOf = generateFunction(
    {},
    `return function fieldsOf(c) { return { ${keys.map((key, i) => `${key}: c[${i}]`).join(', ')} }; };`,
  ) as (columns: readonly Column[]) => Record<string, Column>;
  // Own data properties are read as such even under the name __proto__ (they shadow the accessor).
  const cut = keys.map((key, i) =>
    packed[i]
      ? `${key}: packedWithRows(f[${JSON.stringify(fields[i]!.name)}], rows, rawBytes)`
      : `${key}: f[${JSON.stringify(fields[i]!.name)}].subarray(0, rows)`,
  );
  const withRowsOf = generateFunction(
    { packedWithRows: withRows },
    `return function withRows(f, rows, rawBytes) { return { ${cut.join(', ')} }; };`,
  ) as CompiledColumns['withRows'];
  return { fieldsOf, withRows: withRowsOf };
}

/** Generated source of the {@link WalkingFiller} of an event whose per-record code is `body`. */
function walkingFillerSource(locals: string, body: string): string {
  const { id, pid, rawSize, raw } = SampleLayout;
  return `return function fillWalking(b, v, length, walk, c, t, e) {
      const { cpu, pid, tid, time32, comm } = c;
      const { slots, slot, excluded, names } = walk;
      ${locals}
      let rows = 0;
      let rawBytes = 0;
      let lastLow = -1;
      let lastHigh = -1;
      let at = 0;
      for (let size = 0; (size = recordSize(v, at, length, size)) >= 0; at += size) {
        const low = v.getUint32(at + ${id}, true);
        const high = v.getUint32(at + ${id + 4}, true);
        if (low !== lastLow || high !== lastHigh) {
          if (slots.get(low + high * 0x100000000) !== slot) return -1;
          lastLow = low;
          lastHigh = high;
        }
        const n = v.getUint32(at + ${rawSize}, true);
        if (${raw} + n > size) return -1;
        if (excluded.has(v.getUint32(at + ${pid}, true))) continue;
        const r = rows++;
        rawBytes += n;${SAMPLE_ROW}
        const s = at + ${raw};
        ${body}
      }
      if (at < length) return -1;
      walk.rawBytes = rawBytes;
      return rows;
    };`;
}

/**
 * Builds the column allocator and fillers of an event's own fields; `chainDepth` as in
 * {@link CompiledColumns.chainDepth}.
 */
export function compileColumns(format: Pick<EventFormat, 'fields'>, chainDepth = -1): CompiledColumns {
  const fields = format.fields;
  assertNumericLayout(fields);
  const plans = fields.map(plan);
  const whole = plans.map((p) => p.write).join('\n');
  const partial = plans
    .map((p, i) => `if (n >= ${fieldEnd(fields[i]!)}) { ${p.write} } else { ${p.empty} }`)
    .join('\n');
  // One loop per event over its rows, each record read once; every column in a local.
  const locals = fields.map((_, i) => `const t${i} = t[${i}];`).join(' ');
  const body = perRecordBody(fields, whole, partial, 'continue;');
  const packed = plans.map((p) => p.bytes === packedBytes);
  const builders = fieldObjectBuilders(fields, packed);
  const fill = generateFunction(
    { pushDynamic, pushText, rawSizeOffset },
    `return function fillColumns(b, v, p, first, rows, c, names, t, e) {
      const { cpu, pid, tid, time32, comm } = c;
      ${locals}
      for (let r = 0; r < rows; r++) {
        const at = p[first + r];${SAMPLE_ROW}
        ${chainDepth < 0 ? FIXED_RAW : CHAINED_RAW}
        ${body}
      }
    };`,
  ) as ColumnFiller;
  const fillWalking = generateFunction(
    { pushDynamic, pushText, recordSize },
    walkingFillerSource(locals, body),
  ) as WalkingFiller;
  return {
    arenaBytes: (rows, rawBytes) => plans.reduce((total, p) => total + p.bytes(rows, rawBytes), 0),
    allocate(rows, rawBytes, arena) {
      const columns: Column[] = [];
      const stores: unknown[] = [];
      for (const p of plans) {
        const { column, store } = p.allocate(rows, rawBytes, arena);
        columns.push(column);
        stores.push(store);
      }
      return { fields: builders.fieldsOf(columns), stores };
    },
    fill,
    fillWalking,
    chainDepth,
    withRows: builders.withRows,
  };
}
