/** `countBy(keys)`: how many rows each distinct tuple of keys has, most frequent first. */
import type { ColumnBatch, EventColumns } from '../decode/columns.js';
import type { EventFormat } from '../decode/format.js';
import type { Aggregation } from './aggregation.js';
import { AggregationError, didYouMean, listNames } from './errors.js';
import { allFieldNames, fieldKind, formatsWithField } from './fields.js';
import { MISSING, SAMPLE_KEYS, numberColumn, textReader } from './key-readers.js';
import { type SortKey, compareKeys, renderTable, sortKey } from './table.js';

/** Options of {@link countBy}. */
export interface CountByOptions {
  /** Show only the `top` most frequent key tuples (the table says how many more there were). */
  readonly top?: number | undefined;
}

/** Between the parts of a composed key: text columns stop at their first NUL, so none holds one. */
const SEPARATOR = '\0';

/**
 * How a row's key is hashed: `event` adds whole columns, `number` keys a Map by a number (a single
 * numeric key), `text` by one text value, `composed` by the parts joined with {@link SEPARATOR}.
 */
type Mode = 'event' | 'number' | 'text' | 'composed';

/**
 * Counts rows by the tuple of `keys`: `event`, `comm`, `pid`, `tid`, `cpu` (these name the sample's
 * own values, even where an event has a field of the same name) or a field of at least one traced
 * event (rows of events without it count under `-`).
 *
 * @throws AggregationError for no keys, a key no traced event has, or a `top` that is no positive integer.
 */
export function countBy(
  keys: readonly string[],
  formats: ReadonlyMap<string, EventFormat>,
  options: CountByOptions = {},
): Aggregation {
  if (keys.length === 0) {
    throw new AggregationError('countBy: no keys given', {
      subject: '',
      hint: `keys: ${SAMPLE_KEYS.join(', ')} or a field`,
    });
  }
  for (const key of keys) checkKey(key, formats);
  const top = options.top;
  if (top !== undefined && (!Number.isSafeInteger(top) || top < 1)) {
    throw new AggregationError(`countBy: top must be a positive integer, not ${String(top)}`, {
      subject: 'top',
      hint: 'give the number of rows to show, 1 or more',
    });
  }
  return new KeyCounter(keys, modeFor(keys, formats), top);
}

function checkKey(key: string, formats: ReadonlyMap<string, EventFormat>): void {
  if ((SAMPLE_KEYS as readonly string[]).includes(key) || formatsWithField(key, formats).size > 0) return;
  const fields = allFieldNames(formats);
  throw new AggregationError(`countBy: unknown key '${key}': no traced event has a field of that name`, {
    subject: key,
    hint: `${didYouMean(key, [...SAMPLE_KEYS, ...fields])}keys: ${SAMPLE_KEYS.join(', ')}; fields: ${listNames(fields) || 'none'}`,
  });
}

function modeFor(keys: readonly string[], formats: ReadonlyMap<string, EventFormat>): Mode {
  if (keys.length > 1) return 'composed';
  const key = keys[0]!;
  if (key === 'event') return 'event';
  if (key === 'pid' || key === 'tid' || key === 'cpu') return 'number';
  if (key === 'comm' || key === 'stack') return 'text';
  const fields = [...formatsWithField(key, formats).values()];
  return fields.every((field) => fieldKind(field) === 'small' || fieldKind(field) === 'wide') ? 'number' : 'text';
}

class KeyCounter implements Aggregation {
  private readonly textCounts = new Map<string, number>();
  /** By the value: a number, or its decimal text for a 64-bit value beyond 2^53 (no number equals one). */
  private readonly numberCounts = new Map<number | string, number>();
  /** Rows of events without the key, in `number` mode. */
  private missingRows = 0;

  constructor(
    private readonly keys: readonly string[],
    private readonly mode: Mode,
    private readonly top: number | undefined,
  ) {}

  add(batch: ColumnBatch): void {
    for (const [event, columns] of batch.events) {
      if (columns.length === 0) continue;
      if (this.mode === 'event') increment(this.textCounts, event, columns.length);
      else if (this.mode === 'number') this.addNumbers(columns);
      else if (this.mode === 'text') this.addTexts(event, columns, batch.stacks);
      else this.addComposed(event, columns, batch.stacks);
    }
  }

  render(): string {
    const counted = this.countedKeys().sort((a, b) => b.count - a.count || compareKeys(a.order, b.order));
    const shown = this.top === undefined ? counted : counted.slice(0, this.top);
    const table = renderTable(
      [...this.keys, 'COUNT'],
      shown.map(({ parts, count }) => [...parts, String(count)]),
    );
    if (counted.length === 0) return `${table}(no events)\n`;
    const left = counted.slice(shown.length);
    if (left.length === 0) return table;
    const leftRows = left.reduce((sum, { count }) => sum + count, 0);
    return `${table}… ${left.length} more ${left.length === 1 ? 'key' : 'keys'} (${leftRows} events) not shown\n`;
  }

  reset(): void {
    this.textCounts.clear();
    this.numberCounts.clear();
    this.missingRows = 0;
  }

  private addNumbers(columns: EventColumns): void {
    const values = numberColumn(this.keys[0]!, columns);
    if (values === undefined) {
      this.missingRows += columns.length;
      return;
    }
    // Runs of one value (a thread's rows, read from one ring) cost one map update.
    const counts = this.numberCounts;
    let last = values.get(0);
    let run = 0;
    for (let i = 0; i < columns.length; i++) {
      const value = values.get(i);
      if (value === last) run++;
      else {
        counts.set(last, (counts.get(last) ?? 0) + run);
        last = value;
        run = 1;
      }
    }
    counts.set(last, (counts.get(last) ?? 0) + run);
  }

  private addTexts(event: string, columns: EventColumns, stacks: ColumnBatch['stacks']): void {
    const counts = this.textCounts;
    const key = this.keys[0]!;
    if (key === 'comm') {
      const comm = columns.comm;
      let last = comm[0]!;
      let run = 0;
      for (let i = 0; i < columns.length; i++) {
        const name = comm[i]!;
        if (name === last) run++;
        else {
          increment(counts, last, run);
          last = name;
          run = 1;
        }
      }
      increment(counts, last, run);
      return;
    }
    const read = textReader(key, event, columns, stacks);
    for (let i = 0; i < columns.length; i++) increment(counts, read(i), 1);
  }

  private addComposed(event: string, columns: EventColumns, stacks: ColumnBatch['stacks']): void {
    const counts = this.textCounts;
    const readers = this.keys.map((key) => textReader(key, event, columns, stacks));
    const first = readers[0]!;
    const rest = readers.slice(1);
    for (let i = 0; i < columns.length; i++) {
      let key = first(i);
      for (const read of rest) key += SEPARATOR + read(i);
      increment(counts, key, 1);
    }
  }

  private countedKeys(): { parts: string[]; order: SortKey; count: number }[] {
    const counted: { parts: string[]; order: SortKey; count: number }[] = [];
    if (this.mode === 'number') {
      for (const [value, count] of this.numberCounts) {
        const text = String(value);
        counted.push({ parts: [text], order: [typeof value === 'number' ? BigInt(value) : BigInt(text)], count });
      }
      if (this.missingRows > 0) counted.push({ parts: [MISSING], order: [MISSING], count: this.missingRows });
      return counted;
    }
    for (const [key, count] of this.textCounts) {
      const parts = key.split(SEPARATOR);
      counted.push({ parts, order: sortKey(parts), count });
    }
    return counted;
  }
}

function increment(counts: Map<string, number>, key: string, by: number): void {
  counts.set(key, (counts.get(key) ?? 0) + by);
}
