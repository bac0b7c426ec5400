/**
 * What the two decoder generators (compile.ts for objects, compile-columns.ts for columns) share:
 * the source that reads an integer field, the per-record frame with its bounds check and error
 * count, and turning generated source into a function.
 */
import { type FormatField, recordMinSize } from './format.js';

/**
 * The expression reading an integer of `size` bytes at `at` from the record: `b` is the batch
 * Buffer, `v` a DataView on it. 64-bit integers read as bigints.
 */
export function intReadExpression(size: 1 | 2 | 4 | 8, signed: boolean, at: string): string {
  const sign = signed ? 'Int' : 'Uint';
  switch (size) {
    case 1:
      return signed ? `v.getInt8(${at})` : `b[${at}]`;
    case 2:
    case 4:
      return `v.get${sign}${size * 8}(${at}, true)`;
    case 8:
      return `v.getBig${sign}64(${at}, true)`;
  }
}

/**
 * The generated code handling one record's raw data `[s, s + n)`, counting errors in `e`: `whole`
 * runs when the record holds every one of `fields` (one bounds check for all of them), `partial`
 * (checking each field) when it is shorter, which is an error. Errors count records, not fields: a
 * record with several bad fields adds one. Both paths end with `exit` (a return, or a continue in
 * a loop over records). Only `__data_loc` fields can find an error in a whole record: without them
 * the count is not looked at there.
 */
export function perRecordBody(fields: readonly FormatField[], whole: string, partial: string, exit: string): string {
  if (!fields.some((field) => field.decoding.kind === 'dynamic')) {
    return `
      if (n >= ${recordMinSize(fields)}) {
        ${whole}
        ${exit}
      }
      ${partial}
      e.count++;
      ${exit}`;
  }
  return `
      const errorsBefore = e.count;
      if (n >= ${recordMinSize(fields)}) {
        ${whole}
        if (e.count > errorsBefore) e.count = errorsBefore + 1;
        ${exit}
      }
      ${partial}
      e.count = errorsBefore + 1;
      ${exit}`;
}

/**
 * Runs `source` as a function body with each of `bindings` in scope under its key, and returns
 * what it returns: the generated decoder, which the caller types. Callers build `source` only
 * from checked numbers (assertNumericLayout) and quoted names.
 */
export function generateFunction(bindings: Readonly<Record<string, unknown>>, source: string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generating decoders is the point; source is checked
  const factory = new Function(...Object.keys(bindings), source) as (...values: unknown[]) => unknown;
  return factory(...Object.values(bindings));
}
