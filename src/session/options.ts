/** Session options: what callers may set, the defaults, and validation before any syscall. */
import { quoteInput } from '../errors.js';
import type { ProbeInput } from '../probes/probe-set.js';
import {
  booleanOption,
  cpusOption,
  eventsOption,
  flushIntervalOption,
  isRecord,
  maxQueuedBatchesOption,
  pidOption,
  probesOption,
  refuse,
  refuseUnknownKeys,
  ringPagesOption,
  shown,
  wakeupOption,
} from './option-values.js';

/**
 * Dynamic probes to create for a session: kernel text (`p:...`, `r:...`, `PATH:SYMBOL` uprobes)
 * or definitions from the builder. In a record, each key names the probe's events; in an array,
 * events are named `group:event` as created.
 */
export type ProbeInputs = readonly ProbeInput[] | Readonly<Record<string, ProbeInput>>;

/** Options of {@link openSession}. Every one is validated before anything reaches the kernel. */
export interface SessionOptions<Name extends string = string> {
  /** Tracepoints to capture, as `group:name` (static ones, or dynamic ones that already exist). */
  events?: readonly Name[];
  /** Probes to create for this session and remove when it closes. */
  probes?: ProbeInputs;
  /**
   * Open kprobes and kretprobes without fetch arguments through the perf_kprobe PMU: nothing is
   * written to tracefs and the probe vanishes with its fd (default false).
   */
  kprobePmu?: boolean;
  /**
   * Ring size per CPU in pages, a power of two. Default: 32 MiB shared by the session's CPUs,
   * between 512 KiB and 8 MiB per CPU (8 MiB each on a 2-CPU machine, 512 KiB from 64 CPUs on).
   */
  ringPages?: number;
  /**
   * When the kernel wakes the reader: after this many bytes are in a ring (default: a quarter
   * of the ring), or after this many events. Give at most one.
   */
  wakeup?: { bytes: number } | { events: number };
  /** Upper bound on delivery latency when the wakeup point is not reached, in ms (default 4). */
  flushIntervalMs?: number;
  /** CPUs to open the events on (default: every online CPU). */
  cpus?: readonly number[];
  /** Trace only this process (default: every process). */
  pid?: number;
  /** With `pid`: also trace the children it creates from now on (default true). */
  inherit?: boolean;
  /**
   * With `pid`: start counting only when that process next calls exec, even after start()
   * (default false). For tracing a command you start: nothing of the launcher is captured.
   */
  enableOnExec?: boolean;
  /**
   * Batches held for an async iterator that has not asked for them yet. Past this, the reader
   * stops draining and the kernel counts what it cannot store as lost (default 64).
   */
  maxQueuedBatches?: number;
  /**
   * Deliver events of all CPUs in one time order, across batches, by holding each event back for
   * 2 ms in case an older one from another CPU is still to be read (default false: events are in
   * time order per CPU, batches follow ring order). Applies to objects, not to columns.
   */
  sortByTime?: boolean;
}

/** Options after defaults and validation. */
export interface ResolvedSessionOptions {
  events: string[];
  /** Probes with the label their events are reported under (undefined: `group:event`). */
  probes: { label?: string; input: ProbeInput }[];
  kprobePmu: boolean;
  ringPages: number;
  wakeupBytes?: number;
  wakeupEvents?: number;
  flushIntervalMs: number;
  cpus: number[];
  pid: number;
  inherit: boolean;
  enableOnExec: boolean;
  maxQueuedBatches: number;
  sortByTime: boolean;
}

/** Memory all default rings of a session share: 32 MiB, split across its CPUs. */
const DEFAULT_RING_BUDGET = 32 << 20;

/**
 * The default ring size per CPU, in pages: as root, 32 MiB shared by the session's CPUs, from
 * 512 KiB (perf record's default) to 8 MiB per CPU; otherwise 512 KiB, what the locked-memory
 * limit allows. The getppid flood of `npm run bench` (getppid-max: ~3 M records/s of 56 bytes)
 * fills 2 MiB in ~12 ms and 8 MiB in ~50 ms: on small machines the larger rings absorb start-up
 * and GC pauses; on large ones the total stays bounded.
 */
export function defaultRingPages(cpuCount: number, pageSize: number): number {
  // Without root, perf_event_mlock_kb (516 KiB per CPU by default) bounds what may be mapped.
  if (process.getuid?.() !== 0) return 2 ** Math.floor(Math.log2((512 << 10) / pageSize));
  const perCpu = Math.min(8 << 20, Math.max(512 << 10, DEFAULT_RING_BUDGET / Math.max(1, cpuCount)));
  return 2 ** Math.floor(Math.log2(perCpu / pageSize));
}

/** Every option, so that a misspelt one is refused instead of silently ignored. */
const OPTION_NAMES: Readonly<Record<keyof SessionOptions, true>> = {
  events: true,
  probes: true,
  kprobePmu: true,
  ringPages: true,
  wakeup: true,
  flushIntervalMs: true,
  cpus: true,
  pid: true,
  inherit: true,
  enableOnExec: true,
  maxQueuedBatches: true,
  sortByTime: true,
};

/**
 * Applies defaults and checks every option — names, types and values — before any system call
 * but the reads of /sys (online CPUs) and /proc (pid_max); throws {@link OptionError} naming the
 * bad option and its value, or EventNameError for a bad event name.
 */
export function resolveSessionOptions(options: SessionOptions, pageSize: number): ResolvedSessionOptions {
  refuseUnknownOptions(options);
  const resolved = resolveEachOption(options, pageSize);
  refuseConflicts(resolved);
  return resolved;
}

/** First phase: the options are an object, and every key in it is an option. */
function refuseUnknownOptions(options: unknown): void {
  if (!isRecord(options)) {
    refuse(
      'BAD_OPTION_TYPE',
      undefined,
      `session options must be an object, got ${shown(options)}`,
      "pass { events: ['group:name'] }",
    );
  }
  refuseUnknownKeys(options, Object.keys(OPTION_NAMES), '');
}

/**
 * Second phase: each option checked on its own and defaulted, in the order of the interface (the
 * first bad one is reported). inherit defaults to true with a pid.
 */
function resolveEachOption(options: SessionOptions, pageSize: number): ResolvedSessionOptions {
  const events = eventsOption(options.events);
  const probes = probesOption(options.probes);
  const kprobePmu = booleanOption('kprobePmu', options.kprobePmu, false);
  const cpus = cpusOption(options.cpus);
  const ringPages = ringPagesOption(options.ringPages, defaultRingPages(cpus.length, pageSize));
  const wakeup = wakeupOption(options.wakeup, ringPages * pageSize);
  const flushIntervalMs = flushIntervalOption(options.flushIntervalMs);
  const pid = pidOption(options.pid);
  const inherit = booleanOption('inherit', options.inherit, pid !== -1);
  const enableOnExec = booleanOption('enableOnExec', options.enableOnExec, false);
  const maxQueuedBatches = maxQueuedBatchesOption(options.maxQueuedBatches);
  const sortByTime = booleanOption('sortByTime', options.sortByTime, false);
  const flags = { kprobePmu, inherit, enableOnExec, sortByTime };
  return { events, probes, ringPages, ...wakeup, flushIntervalMs, cpus, pid, maxQueuedBatches, ...flags };
}

/** Last phase: options that are valid alone but not together, or that leave nothing to capture. */
function refuseConflicts({ events, probes, pid, inherit, enableOnExec }: ResolvedSessionOptions): void {
  if (events.length === 0 && probes.length === 0) {
    refuse(
      'NOTHING_TO_CAPTURE',
      undefined,
      'nothing to capture: give events, probes, or both',
      "for example { events: ['sched:sched_process_exec'] } or { probes: ['p:do_sys_openat2'] }",
    );
  }
  const labels = [...events, ...probes.flatMap((p) => (p.label === undefined ? [] : [p.label]))];
  const duplicate = labels.find((label, i) => labels.indexOf(label) !== i);
  if (duplicate !== undefined) {
    refuse(
      'BAD_OPTION_VALUE',
      'events',
      `event ${quoteInput(duplicate)} is listed twice`,
      'list each event once, and give probes names no tracepoint has',
    );
  }
  if (inherit && pid === -1) {
    refuse(
      'CONFLICTING_OPTIONS',
      'inherit',
      'inherit needs a pid',
      'inherit follows the children of one traced process; set pid too',
    );
  }
  if (enableOnExec && pid === -1) {
    refuse(
      'CONFLICTING_OPTIONS',
      'enableOnExec',
      'enableOnExec needs a pid',
      'it waits for one process to exec; set pid too',
    );
  }
}
