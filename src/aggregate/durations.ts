/** Durations in nanoseconds: kept for exact percentiles, and written in a readable unit. */

/** A growing list of durations (ns), for exact percentiles. */
export class DurationList {
  private values = new Float64Array(1024);
  private sorted = true;
  /** Durations added since the last reset. */
  length = 0;

  /** Adds one duration. */
  push(nanoseconds: number): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = nanoseconds;
    this.sorted = false;
  }

  /**
   * The `p`-th percentile (0 ≤ p ≤ 100; 0 is the minimum) by the nearest-rank method: the smallest duration that at
   * least p % of them do not exceed. Undefined when there are none.
   */
  percentile(p: number): number | undefined {
    if (this.length === 0) return undefined;
    if (!this.sorted) {
      this.values.subarray(0, this.length).sort();
      this.sorted = true;
    }
    const rank = Math.max(1, Math.ceil((p / 100) * this.length));
    return this.values[rank - 1];
  }

  /** Forgets every duration (keeps the memory). */
  reset(): void {
    this.length = 0;
    this.sorted = true;
  }
}

/** `nanoseconds` in the unit that reads best, with three significant digits: `850 ns`, `12.3 µs`, `4.56 ms`, `1.20 s`. */
export function formatDuration(nanoseconds: number): string {
  if (nanoseconds < 1_000) return `${nanoseconds} ns`;
  if (nanoseconds < 999_500) return `${significant(nanoseconds / 1e3)} µs`;
  if (nanoseconds < 999_500_000) return `${significant(nanoseconds / 1e6)} ms`;
  return `${significant(nanoseconds / 1e9)} s`;
}

function significant(value: number): string {
  return value >= 1000 ? value.toFixed(0) : value.toPrecision(3);
}
