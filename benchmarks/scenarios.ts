/**
 * The loads every capture path is measured on. Each scenario is one exact, repeatable load:
 * the generator makes `count` events (as fast as it can, or paced at `rate` per second) on the
 * producer CPU, and every runner captures that same load.
 */
import type { RunnerId } from './runners/types.js';

/** What the generator does per event. */
export type LoadMode = 'getppid' | 'call';

/** One load. */
export interface Scenario {
  /** Short key used in the table and the JSON, e.g. `getppid-max`. */
  id: string;
  /** What it is, for the table's heading. */
  title: string;
  mode: LoadMode;
  /** Events the generator makes. */
  count: number;
  /** Events per second; undefined means as fast as possible. */
  rate?: number;
  /**
   * Of `count`, the events made by a second generator process, started and released with the
   * first on the producer CPU: a kernel filter on its pid (`common_pid`) keeps exactly these.
   */
  selected?: number;
  /** The runners measured on this load, in this order (default: every runner without a filter). */
  runners?: readonly RunnerId[];
  /** Capture each event's user stack too (perf record -g; perf-bridge's `stack: 'user'`). */
  stack?: 'user';
}

/** The tracepoint of the getppid scenarios. */
export const GETPPID_TRACEPOINT = 'syscalls:sys_enter_getppid';

/** The function the uprobe scenarios probe. */
export const UPROBE_SYMBOL = 'pb_target';
/** The uprobe's fetch arguments (kernel probe syntax): the call's label string and value. */
export const UPROBE_FETCHARGS = 'label=+0(%di):string value=%si:s64';

/** The event name perf-bridge reports the uprobe's events under. */
export const UPROBE_LABEL = 'call';

/** The uprobe definition perf-bridge creates for a call scenario. */
export function uprobeDefinition(loadgenPath: string): string {
  return `p ${loadgenPath}:${UPROBE_SYMBOL} ${UPROBE_FETCHARGS}`;
}

/**
 * The scenarios of a full or a quick run. Full counts keep each as-fast-as-possible run near a
 * second for perf-bridge and perf (bpftrace, which wakes its reader per event, takes longer);
 * paced runs last a few seconds so the drain deadline, not the ring watermark, drives delivery.
 * Quick counts fit the whole bench in a minute; they mostly fit in the ring, so treat their
 * loss figures as a smoke test.
 */
export function scenarios(quick: boolean): Scenario[] {
  const scale = quick ? 0.1 : 1;
  const n = (count: number) => Math.round(count * scale);
  return [
    {
      id: 'getppid-max',
      title: 'getppid() flood, tracepoint syscalls:sys_enter_getppid, as fast as possible',
      mode: 'getppid',
      count: n(2_000_000),
    },
    {
      id: 'uprobe-max',
      title: 'pb_target() calls, uprobe with string + s64 fetchargs, as fast as possible',
      mode: 'call',
      count: n(1_000_000),
    },
    {
      // The getppid-max flood from two generators released together on the producer CPU, 99% and
      // 1% of the calls: getppid's tracepoint has no field to select on but common_pid (the thread
      // id), and each generator is one thread. The 1% runs at nice 19, so CFS gives it ~1.4% of
      // the CPU and its calls come in slices spread over the flood. The kernel runs the
      // tracepoint on every call either way; the filter decides what reaches the ring.
      id: 'getppid-filter',
      title: 'getppid-max flood from two processes (99% + 1% at nice 19); "+ filter": common_pid == <the 1%>',
      mode: 'getppid',
      count: n(2_000_000),
      selected: n(20_000),
      runners: ['pb-object-filter', 'pb-object', 'perf-record-filter', 'perf-record'],
    },
    {
      // Who called getppid(): the user stack of every call (main → loop → getppid in the loadgen).
      id: 'getppid-stacks',
      title: 'getppid() flood with user stacks (perf record -g, perf-bridge stack: user), as fast as possible',
      mode: 'getppid',
      count: n(1_000_000),
      stack: 'user',
      runners: ['pb-object', 'pb-columnar', 'perf-record'],
    },
    { id: 'getppid-100k', title: 'getppid() at 100k events/s', mode: 'getppid', count: n(300_000), rate: 100_000 },
    { id: 'getppid-500k', title: 'getppid() at 500k events/s', mode: 'getppid', count: n(1_500_000), rate: 500_000 },
    { id: 'uprobe-100k', title: 'pb_target() at 100k events/s', mode: 'call', count: n(300_000), rate: 100_000 },
  ];
}

/**
 * A generous bound on one traced run: the slowest peer (bpftrace, which wakes its reader on
 * every event) has been seen near 40k events/s on a busy machine, plus start-up and shutdown.
 */
export function runTimeoutMs(scenario: Scenario): number {
  return 60_000 + Math.ceil(scenario.count / 20);
}
