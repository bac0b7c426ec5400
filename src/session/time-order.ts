/**
 * Putting events of all CPUs into one time order across batches. Each ring is in time order, but a
 * drain reads the rings one after another, so an event can reach a later batch than a newer event
 * of another CPU. Events stamped after (start of this drain − window) are held back and merged
 * with the next batch; everything older has certainly been read, since the kernel publishes a
 * record within microseconds of stamping it.
 */
import type { TraceEvent } from '../decode/records.js';

/** How long events are held back for stragglers from other CPUs, in ns. */
export const REORDER_WINDOW_NS = 2_000_000n;

const byTime = (a: TraceEvent, b: TraceEvent): number => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0);

/** Orders events across batches; see the module comment. */
export class TimeOrder {
  private held: TraceEvent[] = [];

  /**
   * Merges `batch` with what was held and returns the events stamped before `cutoff`, in time
   * order; the rest is held for the next call. Each ring's events are already in order, so the
   * sort works on long sorted runs.
   */
  release(batch: TraceEvent[], cutoff: bigint): TraceEvent[] {
    const all = this.held.length === 0 ? batch : this.held.concat(batch);
    all.sort(byTime);
    let split = all.length;
    while (split > 0 && all[split - 1]!.time >= cutoff) split--;
    this.held = all.slice(split);
    return split === all.length ? all : all.slice(0, split);
  }

  /** Everything still held, in time order (at stop, when no later event can precede them). */
  flush(): TraceEvent[] {
    const rest = this.held;
    this.held = [];
    return rest;
  }
}
