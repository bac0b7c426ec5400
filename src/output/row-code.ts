/**
 * The frame every compiled serializer shares. A format describes one output row as a list of
 * parts — constant text, or generated code writing a value at `o[p]` — and this turns the list into
 * two generated functions per event: `prepare`, run once per batch, which takes the event's columns
 * apart into one object of a fixed shape (so the row loop reads locals), and `rows`, one loop
 * writing rows [from, to) with the constants unrolled into byte stores.
 */
import { columnShape } from '../decode/column-shape.js';
import type { EventColumns } from '../decode/columns.js';
import { type FormatField, assertNumericLayout } from '../decode/format.js';
import { generateFunction } from '../decode/generated-code.js';

/** One piece of an output row. */
export type RowPart =
  /** Text written as it is (any Unicode: stored as its UTF-8 bytes). */
  | { text: string }
  /** Generated statements writing a value at o[p] and advancing p; at most `maxBytes` bytes plus
   * ESCAPE_EXPANSION per byte of the row's string and array data. */
  | { code: string; maxBytes: number };

/**
 * Names of the locals the `rows` function has for field i: `v${i}` (the typed array; for 64-bit
 * fields a Uint32Array of halves, low first), and for strings and arrays `v${i}` the data and
 * `x${i}` the row offsets. Row `r`'s value is read with these.
 */
export function fieldLocals(i: number): { values: string; offsets: string } {
  return { values: `v${i}`, offsets: `x${i}` };
}

/** The columns of one event in one batch, taken apart by `prepare`. */
export interface PreparedRows {
  readonly length: number;
  /** Bytes of string and array data in all of the event's rows. */
  readonly packedBytes: number;
  readonly comm: readonly string[];
  /** The time column as 32-bit halves, low first. */
  readonly time: Uint32Array;
}

/** An event's compiled serializer. */
export interface CompiledRows {
  prepare(columns: EventColumns): PreparedRows;
  /** Writes rows [from, to) at o[p] (`d` is a DataView on o's memory); returns the position after them. */
  rows(prepared: PreparedRows, o: Buffer, d: DataView, p: number, from: number, to: number): number;
  /** Most bytes one row takes besides its `comm` and its string and array data. */
  readonly fixedBytes: number;
}

/**
 * Generated statements storing the UTF-8 bytes of `text` at o[p] and advancing p: four bytes per
 * store through the DataView `d` (unaligned stores, which the optimizing compiler inlines), the
 * rest one by one. A getppid jsonl row is ~110 bytes of constants: byte stores alone cost more
 * than the rest of the row.
 */
export function constantCode(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  const at = (k: number) => `p${k === 0 ? '' : ` + ${k}`}`;
  const stores: string[] = [];
  let k = 0;
  for (; k + 4 <= bytes.length; k += 4) stores.push(`d.setUint32(${at(k)}, ${bytes.readUInt32LE(k)}, true);`);
  for (; k < bytes.length; k++) stores.push(`o[${at(k)}] = ${bytes[k]!};`);
  return `${stores.join(' ')} p += ${bytes.length};`;
}

/**
 * The part writing row r's `comm` as `names` (a NameBytes in the bindings) serializes it: a row
 * whose name is the previous row's reuses its bytes without a lookup.
 */
export const COMM_PART: RowPart = {
  code: `{
          const name = comm[r];
          if (name !== lastName) {
            lastName = name;
            lastWords = names.wordsOf(name);
          }
          const words = lastWords;
          for (let k = 1; k < words.length; k++) d.setUint32(p + 4 * k - 4, words[k], true);
          p += words[0];
        }`,
  maxBytes: 0, // counted per row by the writer: commBytesBound()
};

/** Most bytes the serialized `comm` of one row takes (escapes, padding to 16 columns, word padding). */
export function commBytesBound(name: string): number {
  return 6 * name.length + 20;
}

/** The parts with adjacent constant texts merged. */
function mergeConstants(parts: readonly RowPart[]): RowPart[] {
  const merged: RowPart[] = [];
  for (const part of parts) {
    const last = merged[merged.length - 1];
    if ('text' in part && last !== undefined && 'text' in last)
      merged[merged.length - 1] = { text: last.text + part.text };
    else merged.push(part);
  }
  return merged;
}

/** The code taking field i's column apart in `prepare`, and how many bytes of data it holds. */
function prepareField(field: FormatField, i: number): { entries: string[]; packed: string | undefined } {
  const column = `f[${JSON.stringify(field.name)}]`;
  const { values, offsets } = fieldLocals(i);
  const value = columnShape(field);
  switch (value.kind) {
    case 'int64':
      return {
        entries: [`${values}: new Uint32Array(${column}.buffer, ${column}.byteOffset, n * 2)`],
        packed: undefined,
      };
    case 'string':
    case 'elements':
      return {
        entries: [`${values}: ${column}.data`, `${offsets}: ${column}.offsets`],
        packed: `(${column}.offsets[n] - ${column}.offsets[0])`,
      };
    default:
      return { entries: [`${values}: ${column}`], packed: undefined };
  }
}

/**
 * Compiles `parts` (a format's row) for an event with `fields`. `bindings` are the helpers the
 * parts' code calls, in scope under their keys. The parts see the locals `cpu`, `pid`, `tid`,
 * `comm`, `time` (a Uint32Array of halves), those of fieldLocals(), the row `r`, `o` and `p`.
 */
export function compileRows(
  fields: readonly FormatField[],
  parts: readonly RowPart[],
  bindings: Readonly<Record<string, unknown>>,
): CompiledRows {
  assertNumericLayout(fields);
  const prepared = fields.map(prepareField);
  const entries = prepared.flatMap((p) => p.entries);
  const packed = prepared.flatMap((p) => (p.packed === undefined ? [] : [p.packed]));
  const prepare = generateFunction(
    {},
    `return function prepare(c) {
      const f = c.fields;
      const n = c.length;
      return {
        length: n,
        packedBytes: ${packed.length === 0 ? '0' : packed.join(' + ')},
        cpu: c.cpu, pid: c.pid, tid: c.tid, comm: c.comm,
        time: new Uint32Array(c.time.buffer, c.time.byteOffset, n * 2),
        ${entries.join(',\n        ')}
      };
    };`,
  ) as CompiledRows['prepare'];
  const locals = prepared.flatMap((p) => p.entries.map((entry) => entry.slice(0, entry.indexOf(':'))));
  const body = mergeConstants(parts)
    .map((part) => ('text' in part ? constantCode(part.text) : part.code))
    .join('\n        ');
  const rows = generateFunction(
    bindings,
    `return function rows(s, o, d, p, from, to) {
      const { cpu, pid, tid, comm, time${locals.map((local) => `, ${local}`).join('')} } = s;
      let lastName = null;
      let lastWords = null;
      for (let r = from; r < to; r++) {
        ${body}
      }
      return p;
    };`,
  ) as CompiledRows['rows'];
  const fixedBytes = parts.reduce(
    (total, part) => total + ('text' in part ? Buffer.byteLength(part.text) : part.maxBytes),
    0,
  );
  return { prepare, rows, fixedBytes };
}
