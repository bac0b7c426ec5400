/**
 * The order rows of a columnar batch are written in. A batch holds each event's rows together, in
 * ring order: one CPU's rows after another's, each CPU's in time order (nearly: a record written
 * from an interrupt can come before an earlier one). So each event's rows are a few runs already
 * in time order; merging the runs puts the batch in time order at a cost close to one pass, where
 * sorting rows would cost log2(rows) comparisons each. The result is a list of segments: rows
 * [from, to) of one event, written one after another.
 */

const TWO_32 = 4294967296;

/** Segments of rows to write, reused from batch to batch. */
export class RowOrder {
  /** Segments in output order: event ordinal, first row, row after the last. */
  event = new Int32Array(16);
  from = new Int32Array(16);
  to = new Int32Array(16);
  /** Segments in use. */
  count = 0;
  /** Each row's time relative to the batch's first, by run: exact (a batch spans far less than 2^53 ns). */
  private keys = new Float64Array(0);
  private runEvent = new Int32Array(16);
  private runFrom = new Int32Array(16);
  private runTo = new Int32Array(16);
  /** Where each run's rows start in `keys`, minus its first row: keys[runBase + row]. */
  private runBase = new Int32Array(16);
  private runs = 0;

  /** The first `limit` rows in batch order: each event's rows in turn. */
  batchOrder(lengths: readonly number[], limit: number): void {
    this.count = 0;
    let left = limit;
    for (let e = 0; e < lengths.length && left > 0; e++) {
      const rows = Math.min(lengths[e]!, left);
      if (rows > 0) this.push(e, 0, rows);
      left -= rows;
    }
  }

  /**
   * The first `limit` rows in time order. `times[e]` is event e's time column as 32-bit halves
   * (low first) and `lengths[e]` its rows. Rows with equal times keep batch order.
   */
  timeOrder(times: readonly Uint32Array[], lengths: readonly number[], limit: number): void {
    this.findRuns(times, lengths);
    this.count = 0;
    if (this.runs <= 1) {
      if (this.runs === 1 && limit > 0) this.push(this.runEvent[0]!, this.runFrom[0]!, Math.min(this.runTo[0]!, limit));
      return;
    }
    this.merge(limit);
  }

  /** Splits every event's rows into runs of non-decreasing time, and keys each row. */
  private findRuns(times: readonly Uint32Array[], lengths: readonly number[]): void {
    let total = 0;
    for (const rows of lengths) total += rows;
    if (this.keys.length < total) this.keys = new Float64Array(Math.max(total, this.keys.length * 2));
    const keys = this.keys;
    this.runs = 0;
    let baseLow = 0;
    let baseHigh = -1;
    let at = 0;
    for (let e = 0; e < times.length; e++) {
      const time = times[e]!;
      const rows = lengths[e]!;
      if (rows === 0) continue;
      if (baseHigh < 0) {
        baseLow = time[0]!;
        baseHigh = time[1]!;
      }
      let runStart = 0;
      let previous = -Infinity;
      for (let r = 0; r < rows; r++) {
        const key = (time[2 * r + 1]! - baseHigh) * TWO_32 + (time[2 * r]! - baseLow);
        keys[at + r] = key;
        if (key < previous) {
          this.addRun(e, runStart, r, at);
          runStart = r;
        }
        previous = key;
      }
      this.addRun(e, runStart, rows, at);
      at += rows;
    }
  }

  /** Merges the runs: each step writes the run with the earliest next row until another run's is earlier. */
  private merge(limit: number): void {
    const { keys, runEvent, runFrom, runTo, runBase } = this;
    const runs = this.runs;
    const next = runFrom.slice(0, runs);
    let left = limit;
    while (left > 0) {
      // Runs are in batch order: on equal keys the earlier run wins, so rows with equal times keep it.
      let best = -1;
      let bestKey = Infinity;
      let second = -1;
      let secondKey = Infinity;
      for (let k = 0; k < runs; k++) {
        if (next[k]! >= runTo[k]!) continue;
        const key = keys[runBase[k]! + next[k]!]!;
        if (key < bestKey) {
          second = best;
          secondKey = bestKey;
          bestKey = key;
          best = k;
        } else if (key < secondKey) {
          second = k;
          secondKey = key;
        }
      }
      if (best < 0) return;
      const base = runBase[best]!;
      const end = runTo[best]!;
      const from = next[best]!;
      // Rows as early as the second run's next one go first only if this run comes before it.
      const tiesFirst = best < second;
      let r = from + 1;
      while (r < end && r - from < left && (keys[base + r]! < secondKey || (tiesFirst && keys[base + r] === secondKey)))
        r++;
      this.push(runEvent[best]!, from, r);
      next[best] = r;
      left -= r - from;
    }
  }

  private addRun(event: number, from: number, to: number, keyOffset: number): void {
    if (this.runs === this.runEvent.length) {
      this.runEvent = grow(this.runEvent);
      this.runFrom = grow(this.runFrom);
      this.runTo = grow(this.runTo);
      this.runBase = grow(this.runBase);
    }
    this.runEvent[this.runs] = event;
    this.runFrom[this.runs] = from;
    this.runTo[this.runs] = to;
    this.runBase[this.runs] = keyOffset;
    this.runs++;
  }

  private push(event: number, from: number, to: number): void {
    if (this.count === this.event.length) {
      this.event = grow(this.event);
      this.from = grow(this.from);
      this.to = grow(this.to);
    }
    this.event[this.count] = event;
    this.from[this.count] = from;
    this.to[this.count] = to;
    this.count++;
  }
}

function grow(array: Int32Array): Int32Array<ArrayBuffer> {
  const bigger = new Int32Array(array.length * 2);
  bigger.set(array);
  return bigger;
}
