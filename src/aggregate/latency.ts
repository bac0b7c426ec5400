/** `latency({ entry, exit })`: how long calls take, from entry and return events of the same thread. */
import type { ColumnBatch, EventColumns } from '../decode/columns.js';
import type { EventFormat } from '../decode/format.js';
import type { Aggregation } from './aggregation.js';
import { AggregationError } from './errors.js';
import { requireEvent } from './fields.js';
import { DurationList, formatDuration } from './durations.js';
import { Log2Buckets } from './log2-buckets.js';
import { bitLength, wordsOf } from './wide-values.js';

/** The events that begin and end a call: a uprobe and uretprobe (or kprobe and kretprobe) pair. */
export interface LatencyPair {
  readonly entry: string;
  readonly exit: string;
}

const TWO_32 = 0x1_0000_0000;
/**
 * Batches a return with no entry is replayed into, to pair with an entry read late. One would do
 * for a drain that reads every ring once per batch; a few more cost nothing (they are rare).
 */
const REPLAY_BATCHES = 4;

/** The figures of a latency table, for programs (all durations in ns). */
export interface LatencySummary {
  /** Calls paired (an entry and its return). */
  readonly count: number;
  readonly min: number | undefined;
  readonly p50: number | undefined;
  readonly p90: number | undefined;
  readonly p99: number | undefined;
  readonly max: number | undefined;
  /** Returns with no open entry of their thread before them. */
  readonly unmatchedReturns: number;
  /** Entries not returned yet. */
  readonly open: number;
}

/** A latency aggregation: a table, and its figures as numbers. */
export interface LatencyAggregation extends Aggregation {
  /** The figures render() shows, since the last reset. */
  summary(): LatencySummary;
}

/**
 * Pairs each `entry` event with the next `exit` event of the same thread, innermost first (a
 * recursive call returns before its caller), and tabulates the durations: count, p50, p90, p99,
 * max and a log2 histogram. Entries still open when a batch ends wait for their return in later
 * batches, and across reset(). A return with no open entry before it waits {@link REPLAY_BATCHES}
 * batches for an entry read late (the thread moved to another CPU, and the return's ring was read
 * before the entry's), then counts as an unmatched return (the trace began mid-call).
 *
 * @throws AggregationError when either event is not traced, or both are the same event.
 */
export function latency(pair: LatencyPair, formats: ReadonlyMap<string, EventFormat>): LatencyAggregation {
  requireEvent(pair.entry, formats, 'latency entry');
  requireEvent(pair.exit, formats, 'latency return');
  if (pair.entry === pair.exit) {
    throw new AggregationError(`latency: the entry and the return are the same event '${pair.entry}'`, {
      subject: pair.entry,
      hint: 'give the entry event (a uprobe, kprobe) and its return event (a uretprobe, kretprobe)',
    });
  }
  return new CallLatency(pair);
}

/** A return with no entry yet, replayed into later batches. */
interface WaitingReturn {
  readonly tid: number;
  readonly time: number;
  /** Batches it has been through. */
  readonly batches: number;
}

/**
 * One batch's rows of both events, and the returns waiting from earlier batches: times relative to
 * the first time seen, and threads. Rows [0, exitsFrom) are entries, [exitsFrom, waitingFrom)
 * returns, [waitingFrom, length) the waiting returns in their order.
 */
interface Rows {
  readonly times: Float64Array;
  readonly tids: Uint32Array;
  readonly exitsFrom: number;
  readonly waitingFrom: number;
}

class CallLatency implements LatencyAggregation {
  /** Per thread, the start times of its calls not returned yet, innermost last. */
  private readonly open = new Map<number, number[]>();
  private readonly durations = new DurationList();
  private readonly buckets = new Log2Buckets();
  private unmatchedReturns = 0;
  private waiting: WaitingReturn[] = [];
  /** The first time seen, as words: times are kept as ns since then, exact in a number for 104 days. */
  private base: { lo: number; hi: number } | undefined;

  constructor(private readonly pair: LatencyPair) {}

  add(batch: ColumnBatch): void {
    const rows = this.rowsOf(batch.events.get(this.pair.entry), batch.events.get(this.pair.exit));
    if (rows === undefined) return;
    const waiting = this.waiting;
    this.waiting = [];
    for (const row of timeOrder(rows)) {
      const tid = rows.tids[row]!;
      const time = rows.times[row]!;
      if (row < rows.exitsFrom) this.enter(tid, time);
      else if (!this.leave(tid, time)) {
        const batches = row < rows.waitingFrom ? 1 : waiting[row - rows.waitingFrom]!.batches + 1;
        if (batches > REPLAY_BATCHES) this.unmatchedReturns++;
        else this.waiting.push({ tid, time, batches });
      }
    }
  }

  render(): string {
    const summary = this.summary();
    const lines = [`${this.pair.entry} → ${this.pair.exit}`, `count  ${summary.count}`];
    for (const figure of ['min', 'p50', 'p90', 'p99', 'max'] as const) {
      const value = summary[figure];
      if (value !== undefined) lines.push(`${figure.padEnd(6)} ${formatDuration(value)}`);
    }
    if (summary.unmatchedReturns > 0) {
      lines.push(
        `unmatched returns  ${summary.unmatchedReturns} (no entry before them: the trace began mid-call, ` +
          `or an entry is late)`,
      );
    }
    if (summary.open > 0) lines.push(`open   ${summary.open} (entered, not returned yet)`);
    const histogram = summary.count > 0 ? `duration (ns)\n${this.buckets.render()}` : '';
    return `${lines.map((line) => `${line}\n`).join('')}${histogram}`;
  }

  summary(): LatencySummary {
    const d = this.durations;
    return {
      count: d.length,
      min: d.percentile(0),
      p50: d.percentile(50),
      p90: d.percentile(90),
      p99: d.percentile(99),
      max: d.percentile(100),
      // Those still waiting for a late entry are unmatched so far.
      unmatchedReturns: this.unmatchedReturns + this.waiting.length,
      open: this.openCalls(),
    };
  }

  /**
   * Forgets the durations and unmatched returns. Calls still open stay open, and returns waiting
   * for a late entry keep waiting, to pair with what later batches bring.
   */
  reset(): void {
    this.durations.reset();
    this.buckets.reset();
    this.unmatchedReturns = 0;
  }

  private enter(tid: number, time: number): void {
    const stack = this.open.get(tid);
    if (stack === undefined) this.open.set(tid, [time]);
    else stack.push(time);
  }

  /** Ends the thread's innermost open call; false when it has none that began before `time`. */
  private leave(tid: number, time: number): boolean {
    const stack = this.open.get(tid);
    const start = stack?.[stack.length - 1];
    // An open entry after the return (read before the return's own, late entry) is not its call.
    if (stack === undefined || start === undefined || start > time) return false;
    stack.pop();
    if (stack.length === 0) this.open.delete(tid);
    const duration = time - start;
    this.durations.push(duration);
    this.buckets.positive[bitLength(duration)]!++;
    return true;
  }

  private openCalls(): number {
    let open = 0;
    for (const stack of this.open.values()) open += stack.length;
    return open;
  }

  /** The rows of a batch (copied: the columns are reused) and the waiting returns; undefined when none. */
  private rowsOf(entries: EventColumns | undefined, exits: EventColumns | undefined): Rows | undefined {
    const entryRows = entries?.length ?? 0;
    const exitRows = exits?.length ?? 0;
    const total = entryRows + exitRows + this.waiting.length;
    if (total === 0) return undefined;
    const times = new Float64Array(total);
    const tids = new Uint32Array(total);
    let at = 0;
    for (const columns of [entries, exits]) {
      if (columns === undefined || columns.length === 0) continue;
      const words = wordsOf(columns.time);
      this.base ??= { lo: words[0]!, hi: words[1]! };
      const { lo: baseLo, hi: baseHi } = this.base;
      tids.set(columns.tid.subarray(0, columns.length), at);
      for (let i = 0; i < columns.length; i++, at++) {
        times[at] = (words[2 * i + 1]! - baseHi) * TWO_32 + (words[2 * i]! - baseLo);
      }
    }
    for (const { tid, time } of this.waiting) {
      tids[at] = tid;
      times[at++] = time;
    }
    return { times, tids, exitsFrom: entryRows, waitingFrom: entryRows + exitRows };
  }
}

/**
 * The rows' indexes in time order. Within an event a batch is in ring order, one CPU after
 * another, so a thread that moved CPUs has its rows out of order; but the rows are a few runs
 * already in order (one per ring, per event), so merging the runs beats sorting every row.
 */
function timeOrder(rows: Rows): Uint32Array {
  const length = rows.times.length;
  let order = new Uint32Array(length);
  for (let i = 0; i < length; i++) order[i] = i;
  let runs = [0];
  for (let i = 1; i < length; i++) if (before(rows, i, i - 1)) runs.push(i);
  runs.push(length);
  let spare = new Uint32Array(length);
  while (runs.length > 2) {
    const merged = [0];
    for (let r = 0; r + 1 < runs.length; r += 2) {
      const end = runs[Math.min(r + 2, runs.length - 1)]!;
      mergeRuns(rows, order, spare, runs[r]!, runs[r + 1]!, end);
      merged.push(end);
    }
    [order, spare] = [spare, order];
    runs = merged;
  }
  return order;
}

/**
 * Whether row `a` comes before row `b`. At equal times a return comes first: it ends an earlier
 * call sooner than a call that starts in the same nanosecond ends.
 */
function before(rows: Rows, a: number, b: number): boolean {
  const ta = rows.times[a]!;
  const tb = rows.times[b]!;
  return ta < tb || (ta === tb && a >= rows.exitsFrom && b < rows.exitsFrom);
}

/** Merges the sorted runs from[start, middle) and from[middle, end) into to[start, end), left first at ties. */
function mergeRuns(rows: Rows, from: Uint32Array, to: Uint32Array, start: number, middle: number, end: number): void {
  let left = start;
  let right = middle;
  let out = start;
  while (left < middle && right < end) {
    to[out++] = before(rows, from[right]!, from[left]!) ? from[right++]! : from[left++]!;
  }
  while (left < middle) to[out++] = from[left++]!;
  while (right < end) to[out++] = from[right++]!;
}
