/** `histogram(field)`: a log2 histogram of an integer field, like bpftrace's `hist()`. */
import type { ColumnBatch, Column } from '../decode/columns.js';
import type { EventFormat } from '../decode/format.js';
import type { Aggregation } from './aggregation.js';
import { AggregationError, didYouMean, listNames } from './errors.js';
import { allFieldNames, describeType, fieldKind, formatsWithField } from './fields.js';
import { Log2Buckets } from './log2-buckets.js';
import { ValueStats } from './value-stats.js';
import { bitLength, bitLength64, negatedHigh, negatedLow, wordsOf } from './wide-values.js';

/**
 * A log2 histogram of integer field `field`, which every traced event must have. Negative values
 * go to mirrored buckets (`[-1]`, `(-4, -2]`, …) above `[0]`.
 *
 * @throws AggregationError when no traced event has the field, some lack it, or it is no integer.
 */
export function histogram(field: string, formats: ReadonlyMap<string, EventFormat>): Aggregation {
  checkField(field, formats);
  return new FieldHistogram(field);
}

function checkField(field: string, formats: ReadonlyMap<string, EventFormat>): void {
  const found = formatsWithField(field, formats);
  if (found.size === 0) {
    const names = allFieldNames(formats);
    throw new AggregationError(`histogram: no traced event has a field '${field}'`, {
      subject: field,
      hint: `${didYouMean(field, names)}fields: ${listNames(names) || 'none'}`,
    });
  }
  const lacking = [...formats.keys()].filter((event) => !found.has(event));
  if (lacking.length > 0) {
    throw new AggregationError(
      `histogram: field '${field}' is not in every traced event (not in ${listNames(lacking)})`,
      {
        subject: field,
        hint: `trace only events that have it: ${listNames([...found.keys()])}`,
      },
    );
  }
  for (const [event, format] of found) {
    if (fieldKind(format) === 'string' || fieldKind(format) === 'bytes') {
      throw new AggregationError(`histogram: field '${field}' of ${event} is ${describeType(format)}, not an integer`, {
        subject: field,
        hint: 'a histogram needs an integer field; count the distinct values of this one with countBy instead',
      });
    }
  }
}

class FieldHistogram implements Aggregation {
  private readonly buckets = new Log2Buckets();
  private readonly stats = new ValueStats();

  constructor(private readonly field: string) {}

  add(batch: ColumnBatch): void {
    for (const columns of batch.events.values()) {
      const column = columns.fields[this.field];
      if (column !== undefined) this.addColumn(column, columns.length);
    }
  }

  render(): string {
    return `${this.field}\n${this.buckets.render()}${this.stats.render()}`;
  }

  reset(): void {
    this.buckets.reset();
    this.stats.reset();
  }

  private addColumn(column: Column, rows: number): void {
    if (column instanceof BigInt64Array) this.addWide(wordsOf(column), rows, true);
    else if (column instanceof BigUint64Array) this.addWide(wordsOf(column), rows, false);
    else if (!('kind' in column)) this.addSmall(column, rows);
  }

  private addSmall(values: Exclude<Column, BigInt64Array | BigUint64Array | { kind: string }>, rows: number): void {
    const { positive, negative } = this.buckets;
    const stats = this.stats;
    for (let i = 0; i < rows; i++) {
      const value = values[i]!;
      if (value >= 0) positive[bitLength(value)]!++;
      else negative[bitLength(-value)]!++;
      stats.addSmall(value);
    }
  }

  private addWide(words: Uint32Array, rows: number, signed: boolean): void {
    const { positive, negative } = this.buckets;
    const stats = this.stats;
    for (let i = 0; i < rows; i++) {
      const lo = words[2 * i]!;
      const hi = words[2 * i + 1]!;
      if (signed && hi >= 0x8000_0000) {
        negative[bitLength64(negatedLow(lo), negatedHigh(lo, hi))]!++;
        stats.addWide(lo, hi | 0);
      } else {
        positive[bitLength64(lo, hi)]!++;
        stats.addWide(lo, hi);
      }
    }
  }
}
