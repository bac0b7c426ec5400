/**
 * Compiles one column filler per event: generated code that writes a record's fields into row r
 * of the event's columns. 64-bit values are copied as two 32-bit halves into a Uint32Array view
 * of the BigInt column, so no BigInt is created per event.
 */
import { BytesColumn, type Column, type ColumnArena, StringColumn, arenaBytes } from './columns.js';
import { type DecodeErrorCounter, cStringEnd, dynamicLength, dynamicOffset, resolveDynamic } from './field-readers.js';
import { type EventFormat, type FieldDecoding, type FormatField, assertNumericLayout, fieldEnd } from './format.js';
import { generateFunction, intReadExpression, perRecordBody } from './generated-code.js';

/** Fills row `r` of `stores` from the record's raw data at [s, s + n) of the batch. */
export type ColumnFiller = (
  b: Buffer,
  v: DataView,
  s: number,
  n: number,
  r: number,
  stores: unknown[],
  e: DecodeErrorCounter,
) => void;

/** How to allocate an event's field columns and fill them. */
export interface CompiledColumns {
  /** Arena bytes the field columns of `rows` rows take, their raw data totalling `rawBytes`. */
  arenaBytes(rows: number, rawBytes: number): number;
  /** Lays out columns for `rows` rows in `arena` (reset for at least arenaBytes()). */
  allocate(rows: number, rawBytes: number, arena: ColumnArena): { fields: Record<string, Column>; stores: unknown[] };
  fill: ColumnFiller;
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

/** Copies the text at [from, to) up to its first NUL as the next row. */
function pushText(column: StringColumn, b: Buffer, from: number, to: number): void {
  column.push(b, from, cStringEnd(b, from, to));
}

/** Copies the value a resolved `__data_loc` names as the next row (an empty row for -1). */
function pushDynamic(column: StringColumn | BytesColumn, b: Buffer, s: number, location: number): void {
  if (location < 0) {
    column.push(b, 0, 0);
    return;
  }
  const from = s + dynamicOffset(location);
  const to = from + dynamicLength(location);
  if (column instanceof StringColumn) pushText(column, b, from, to);
  else column.push(b, from, to);
}

function plan(
  field: FormatField,
  i: number,
): { allocate: Allocator; bytes: (rows: number, rawBytes: number) => number; write: string; empty: string } {
  const at = `s + ${field.offset}`;
  const d: FieldDecoding = field.decoding;
  const store = `t[${i}]`;
  const text = (): Allocator => (rows, rawBytes, arena) => wrap(new StringColumn(rows, rawBytes, arena));
  const bytes = (): Allocator => (rows, rawBytes, arena) => wrap(new BytesColumn(rows, rawBytes, arena));
  const packedBytes = (rows: number, rawBytes: number) => StringColumn.arenaBytes(rows, rawBytes);
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
        write: `pushText(${store}, b, ${at}, ${at} + ${d.size});`,
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
            write: `pushText(${store}, b, ${at}, s + n);`,
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
        write: `pushDynamic(${store}, b, s, resolveDynamic(v, s, n, ${field.offset}, ${d.relative}, e));`,
        empty: `${store}.push(b, 0, 0);`,
      };
  }
}

/** Builds the column allocator and filler of an event's own fields. */
export function compileColumns(format: Pick<EventFormat, 'fields'>): CompiledColumns {
  const fields = format.fields;
  assertNumericLayout(fields);
  const plans = fields.map(plan);
  const whole = plans.map((p) => p.write).join('\n');
  const partial = plans
    .map((p, i) => `if (n >= ${fieldEnd(fields[i]!)}) { ${p.write} } else { ${p.empty} }`)
    .join('\n');
  const fill = generateFunction(
    { pushText, pushDynamic, resolveDynamic },
    `return function fillColumns(b, v, s, n, r, t, e) {${perRecordBody(fields, whole, partial, 'undefined')}\n    };`,
  ) as ColumnFiller;
  return {
    arenaBytes: (rows, rawBytes) => plans.reduce((total, p) => total + p.bytes(rows, rawBytes), 0),
    allocate(rows, rawBytes, arena) {
      const out: Record<string, Column> = {};
      const stores: unknown[] = [];
      plans.forEach((p, i) => {
        const { column, store } = p.allocate(rows, rawBytes, arena);
        // Defined as own data properties, so a field called __proto__ cannot reach the prototype.
        Object.defineProperty(out, fields[i]!.name, {
          value: column,
          enumerable: true,
          writable: false,
          configurable: false,
        });
        stores.push(store);
      });
      return { fields: out, stores };
    },
    fill,
  };
}
