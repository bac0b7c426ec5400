/**
 * Count, exact sum, minimum and maximum of integer values up to 64 bits, kept in numbers on the
 * hot path: a bigint per row would allocate.
 */
import { wordsToBigInt } from './wide-values.js';

const TWO_32 = 0x1_0000_0000;
/** Rows summed in numbers before the sums are folded into the bigint total: keeps them exact. */
const FOLD_ROWS = 1 << 20;

/** Summary figures of the values added since the last reset. */
export class ValueStats {
  count = 0;
  private total = 0n;
  /** Sums not yet folded into `total`: of small values, and of wide values' high and low words. */
  private smallSum = 0;
  private highSum = 0;
  private lowSum = 0;
  private pendingRows = 0;
  /** Extremes of small values (numbers), and of wide ones as (signed high word, low word). */
  private smallMin = Infinity;
  private smallMax = -Infinity;
  private wideMin: [hi: number, lo: number] | undefined;
  private wideMax: [hi: number, lo: number] | undefined;

  /** Adds a value of at most 53 bits. */
  addSmall(value: number): void {
    this.count++;
    this.smallSum += value;
    if (value < this.smallMin) this.smallMin = value;
    if (value > this.smallMax) this.smallMax = value;
    if (++this.pendingRows === FOLD_ROWS) this.fold();
  }

  /** Adds the 64-bit value of words `lo`, `hi` (`hi` as a signed word when the field is signed). */
  addWide(lo: number, hi: number): void {
    this.count++;
    this.lowSum += lo;
    this.highSum += hi;
    const min = this.wideMin;
    if (min === undefined || hi < min[0] || (hi === min[0] && lo < min[1])) this.wideMin = [hi, lo];
    const max = this.wideMax;
    if (max === undefined || hi > max[0] || (hi === max[0] && lo > max[1])) this.wideMax = [hi, lo];
    if (++this.pendingRows === FOLD_ROWS) this.fold();
  }

  /** The exact sum. */
  sum(): bigint {
    this.fold();
    return this.total;
  }

  /** The smallest value, or undefined when there was none. */
  min(): bigint | undefined {
    const wide = this.wideMin && wideValue(this.wideMin);
    const small = this.count > 0 && this.smallMin !== Infinity ? BigInt(this.smallMin) : undefined;
    if (wide === undefined) return small;
    return small === undefined || wide < small ? wide : small;
  }

  /** The largest value, or undefined when there was none. */
  max(): bigint | undefined {
    const wide = this.wideMax && wideValue(this.wideMax);
    const small = this.count > 0 && this.smallMax !== -Infinity ? BigInt(this.smallMax) : undefined;
    if (wide === undefined) return small;
    return small === undefined || wide > small ? wide : small;
  }

  /** Forgets every value. */
  reset(): void {
    this.count = 0;
    this.total = 0n;
    this.smallSum = this.highSum = this.lowSum = this.pendingRows = 0;
    this.smallMin = Infinity;
    this.smallMax = -Infinity;
    this.wideMin = this.wideMax = undefined;
  }

  /** `count N, sum S, avg A, min M, max X`, one line per figure, each ending in '\n'. */
  render(): string {
    const min = this.min();
    const max = this.max();
    if (this.count === 0 || min === undefined || max === undefined) return 'count 0\n';
    const sum = this.sum();
    const lines = [`count ${this.count}`, `sum   ${sum}`, `avg   ${average(sum, this.count)}`];
    lines.push(`min   ${min}`, `max   ${max}`);
    return lines.map((line) => `${line}\n`).join('');
  }

  private fold(): void {
    this.total += BigInt(this.smallSum) + BigInt(this.highSum) * BigInt(TWO_32) + BigInt(this.lowSum);
    this.smallSum = this.highSum = this.lowSum = this.pendingRows = 0;
  }
}

function wideValue([hi, lo]: [number, number]): bigint {
  return hi < 0 ? wordsToBigInt(lo, hi >>> 0, true) : wordsToBigInt(lo, hi, false);
}

/** `sum / count` with two decimals, exact in its integer part even past 2⁵³. */
function average(sum: bigint, count: number): string {
  const scaled = (sum * 100n) / BigInt(count); // truncates towards zero
  const negative = scaled < 0n;
  const magnitude = negative ? -scaled : scaled;
  const text = `${magnitude / 100n}.${String(magnitude % 100n).padStart(2, '0')}`;
  return negative ? `-${text}` : text;
}
