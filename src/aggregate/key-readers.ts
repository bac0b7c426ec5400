/**
 * How countBy reads one key of one event's rows: as text (for composed keys) or as a number (the
 * fast path of a single numeric key), from the sample columns or a field column.
 */
import type { EventColumns } from '../decode/columns.js';
import { sharedStrings } from '../decode/string-cache.js';
import type { CallStack } from '../symbols/stack-table.js';
import { foldedStack } from '../symbols/stack-text.js';
import { wordsOf, wordsToNumber, wordsToText } from './wide-values.js';

/**
 * The keys every event has, from the sample rather than the event's fields (`stack`: the folded
 * call stack, for events captured with stacks).
 */
export const SAMPLE_KEYS = ['event', 'comm', 'pid', 'tid', 'cpu', 'stack'] as const;

/** Text a row shows for a key its event does not have. */
export const MISSING = '-';

/** Row i's value of a key, as text. */
export type TextReader = (row: number) => string;

/**
 * `key`'s values in the rows of `event` as text: numbers in decimal, bytes in hex, stacks folded
 * (`stacks`: the batch's), missing as `-`.
 */
export function textReader(
  key: string,
  event: string,
  columns: EventColumns,
  stacks: readonly CallStack[] = [],
): TextReader {
  switch (key) {
    case 'event':
      return () => event;
    case 'stack': {
      const rows = columns.stack;
      return rows === undefined ? () => MISSING : (i) => foldedStack(stacks[rows[i]!]!);
    }
    case 'comm': {
      const comm = columns.comm;
      return (i) => comm[i]!;
    }
    case 'pid':
    case 'tid':
    case 'cpu': {
      const values = columns[key];
      return (i) => String(values[i]);
    }
  }
  const column = columns.fields[key];
  if (column === undefined) return () => MISSING;
  if (column instanceof BigInt64Array || column instanceof BigUint64Array) {
    const words = wordsOf(column);
    const signed = column instanceof BigInt64Array;
    return (i) => wordsToText(words[2 * i]!, words[2 * i + 1]!, signed);
  }
  if ('kind' in column) {
    const { data, offsets } = column;
    if (column.kind === 'string') {
      // Interned by their bytes, as the decoders do: repeated text costs no decoding.
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      return (i) => sharedStrings.text(data, view, offsets[i]!, offsets[i + 1]!);
    }
    return (i) => data.toString('hex', offsets[i], offsets[i + 1]);
  }
  return (i) => String(column[i]);
}

/** Row i's value of a numeric key: a number, or decimal text for a 64-bit value beyond 2^53. */
export interface NumberReader {
  get(row: number): number | string;
}

/**
 * `key`'s values in `columns` as numbers, or undefined when the event lacks the key. Only for keys
 * countBy has found integers (sample ids, integer fields) in every event that has them.
 */
export function numberColumn(key: string, columns: EventColumns): NumberReader | undefined {
  if (key === 'pid' || key === 'tid' || key === 'cpu') return arrayReader(columns[key]);
  const column = columns.fields[key];
  if (column === undefined) return undefined;
  if (column instanceof BigInt64Array || column instanceof BigUint64Array) {
    const words = wordsOf(column);
    const signed = column instanceof BigInt64Array;
    return { get: (i) => wordsToNumber(words[2 * i]!, words[2 * i + 1]!, signed) };
  }
  return 'kind' in column ? undefined : arrayReader(column);
}

function arrayReader(values: ArrayLike<number>): NumberReader {
  return { get: (i) => values[i]! };
}
