/**
 * Power-of-two buckets and their bpftrace-style table, shared by `histogram` and `latency`:
 * `[0]`, `[1]`, `[2, 4)`, `[4, 8)`, … `[8E, 16E)` for values ≥ 0 and the mirror image, `[-1]`,
 * `(-4, -2]`, `(-8, -4]`, …, for negative values (bpftrace lumps every negative into one bucket;
 * mirrored buckets say how negative).
 */

/** Buckets per sign: bit lengths 0 to 64. */
const BUCKETS = 65;
/** Width of the widest bar, as bpftrace draws them. */
const BAR_WIDTH = 52;
const SUFFIXES = ['', 'K', 'M', 'G', 'T', 'P', 'E'];

/** Counts of values by power-of-two bucket. */
export class Log2Buckets {
  /** Index k: values of bit length k (k = 0: the value 0; k ≥ 1: [2^(k-1), 2^k)). */
  readonly positive = new Float64Array(BUCKETS);
  /** Index k ≥ 1: negative values whose magnitude has bit length k: (-2^k, -2^(k-1)]. */
  readonly negative = new Float64Array(BUCKETS);

  /** Values counted so far. */
  get total(): number {
    let sum = 0;
    for (let k = 0; k < BUCKETS; k++) sum += this.positive[k]! + this.negative[k]!;
    return sum;
  }

  /** Forgets every count. */
  reset(): void {
    this.positive.fill(0);
    this.negative.fill(0);
  }

  /**
   * The table, one line per bucket from the lowest to the highest non-empty one (empty ones between
   * included), each ending in '\n'; the empty string when nothing was counted.
   */
  render(): string {
    const rows = this.rows();
    if (rows.length === 0) return '';
    const largest = Math.max(...rows.map((row) => row.count));
    const labelWidth = Math.max(...rows.map((row) => row.label.length));
    const countWidth = Math.max(...rows.map((row) => String(row.count).length));
    return rows
      .map(({ label, count }) => {
        const bar = '@'.repeat(Math.floor((count * BAR_WIDTH) / largest));
        return `${label.padEnd(labelWidth)} ${String(count).padStart(countWidth)} |${bar.padEnd(BAR_WIDTH)}|\n`;
      })
      .join('');
  }

  private rows(): { label: string; count: number }[] {
    const rows: { label: string; count: number }[] = [];
    const highestNegative = highestNonEmpty(this.negative);
    const highestPositive = highestNonEmpty(this.positive);
    // With values of both signs the buckets between them are shown too, down to [-1] and up from [0].
    const lowestNegative = highestPositive >= 0 ? 1 : this.negative.findIndex((count) => count > 0);
    const lowestPositive = highestNegative >= 0 ? 0 : this.positive.findIndex((count) => count > 0);
    for (let k = highestNegative; k >= lowestNegative && k >= 1; k--) {
      rows.push({ label: negativeLabel(k), count: this.negative[k]! });
    }
    for (let k = lowestPositive; k <= highestPositive && k >= 0; k++) {
      rows.push({ label: positiveLabel(k), count: this.positive[k]! });
    }
    return rows;
  }
}

function highestNonEmpty(counts: Float64Array): number {
  for (let k = counts.length - 1; k >= 0; k--) if (counts[k]! > 0) return k;
  return -1;
}

/** 2^`exponent` as bpftrace writes bucket bounds: `512`, `1K`, `2M`, `16E`. */
export function powerOfTwoText(exponent: number): string {
  const step = Math.min(Math.floor(exponent / 10), SUFFIXES.length - 1);
  return `${2 ** (exponent - 10 * step)}${SUFFIXES[step]!}`;
}

/** The label of positive bucket k: `[0]`, `[1]`, `[2, 4)`, `[1K, 2K)`. */
export function positiveLabel(k: number): string {
  if (k <= 1) return `[${k}]`;
  return `[${powerOfTwoText(k - 1)}, ${powerOfTwoText(k)})`;
}

/** The label of negative bucket k: `[-1]`, `(-4, -2]`, `(-2K, -1K]`. */
export function negativeLabel(k: number): string {
  if (k === 1) return '[-1]';
  return `(-${powerOfTwoText(k)}, -${powerOfTwoText(k - 1)}]`;
}
