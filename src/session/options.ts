/** Session options: what callers may set, the defaults, and validation before any syscall. */
import { quoteInput } from '../errors.js';
import type { ProbeInput } from '../probes/probe-set.js';
import {
  booleanOption,
  cpusOption,
  eventsOption,
  type ListedEvent,
  flushIntervalOption,
  isRecord,
  maxQueuedBatchesOption,
  probesOption,
  refuse,
  refuseUnknownKeys,
  ringPagesOption,
  shown,
  wakeupOption,
} from './option-values.js';
import { type ResolvedStack, type StackOption, stackOption } from './stack-option.js';
import { type ResolvedTargets, targetOptions } from './target-options.js';

/** An event with a kernel filter: only the records for which `filter` holds are written. */
export interface FilteredEvent<Name extends string = string> {
  /** `group:name`, or a glob such as `syscalls:sys_enter_*`. */
  event: Name;
  /**
   * An expression in the kernel's filter language over the event's fields, e.g.
   * `fd == 1 && count > 4096` or `filename ~ "/etc/*"`; checked against the event's format.
   */
  filter?: string;
  /** Capture this event's call stacks (instead of the session's `stack` option). */
  stack?: StackOption;
}

/**
 * Dynamic probes to create for a session: kernel text (`p:...`, `r:...`, `PATH:SYMBOL` uprobes)
 * or definitions from the builder. In a record, each key names the probe's events; in an array,
 * events are named after the probe (`uprobe_readline`), or `group:event` in a group you named.
 */
export type ProbeInputs = readonly ProbeInput[] | Readonly<Record<string, ProbeInput>>;

/** Options of {@link openSession}. Every one is validated before anything reaches the kernel. */
export interface SessionOptions<Name extends string = string> {
  /**
   * Tracepoints to capture, as `group:name` (static ones, or dynamic ones that already exist),
   * globs such as `sched:sched_process_*`, or `{ event, filter }` with a kernel filter.
   */
  events?: readonly (Name | FilteredEvent<Name>)[];
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
  /**
   * The longest a sample waits in its ring before it is drained, in ms (default 4): the bound on
   * delivery latency below the wakeup point. Nothing wakes JavaScript while the rings are empty;
   * records left waiting (no listener yet, or an iterator that is full) are looked at again once per
   * interval.
   */
  flushIntervalMs?: number;
  /** CPUs to open the events on (default: every online CPU). */
  cpus?: readonly number[];
  /** Trace only these processes, every thread of each (default: every process). */
  pid?: number | readonly number[];
  /** Trace only the processes of this cgroup v2 directory, e.g. a container or a systemd unit. */
  cgroup?: string;
  /**
   * Start this command (program and arguments) and trace it from its exec: nothing of the launcher
   * is captured. It runs once start() is called; `session.command` has its pid and exit status.
   */
  command?: readonly string[];
  /** With `pid` or `command`: also trace the children they create from now on (default true). */
  inherit?: boolean;
  /**
   * With `pid`: start counting only when that process next calls exec, even after start()
   * (default false). `command` does this for you.
   */
  enableOnExec?: boolean;
  /**
   * Leave out the events of the calling process, every thread of it (default true): a tracer that
   * sees its own work traces itself. Applies to sessions on every process or on a cgroup; with
   * `pid` or `command` the session sees only what it was pointed at.
   */
  excludeSelf?: boolean;
  /**
   * Leave out the events of these processes too, every thread of each (e.g. the reader of our
   * output), in sessions on every process or on a cgroup.
   */
  excludePids?: readonly number[];
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
  /**
   * Capture every event's call stack (`event.stack` on objects): kernel frames, user frames, or
   * both, symbolized from /proc/kallsyms, the processes' mapped ELF files and the JIT maps of
   * runtimes run with `--perf-basic-prof` (default: none). An entry of `events` may set its own.
   */
  stack?: StackOption;
}

/** Options after defaults and validation. */
export interface ResolvedSessionOptions extends ResolvedTargets {
  /** Event names or globs, with the filter given for each. */
  events: ListedEvent[];
  /** Probes with the label their events are reported under (undefined: `group:event`). */
  probes: { label?: string; input: ProbeInput }[];
  kprobePmu: boolean;
  ringPages: number;
  wakeupBytes?: number;
  wakeupEvents?: number;
  flushIntervalMs: number;
  cpus: number[];
  inherit: boolean;
  enableOnExec: boolean;
  maxQueuedBatches: number;
  sortByTime: boolean;
  /** The session's `stack` option, checked. */
  stack?: ResolvedStack;
}

/** Memory all default rings of a session share: 32 MiB, split across its CPUs. */
const DEFAULT_RING_BUDGET = 32 << 20;

/**
 * The default ring size per CPU, in pages: as root, 32 MiB shared by the session's CPUs, from
 * 512 KiB (perf record's default) to 8 MiB per CPU; otherwise 256 KiB, so that with the 64 KiB
 * process-name ring it stays within what the locked-memory limit allows. The getppid flood of `npm run bench` (getppid-max: ~3 M records/s of 56 bytes)
 * fills 2 MiB in ~12 ms and 8 MiB in ~50 ms: on small machines the larger rings absorb start-up
 * and GC pauses; on large ones the total stays bounded.
 */
export function defaultRingPages(cpuCount: number, pageSize: number): number {
  // Without root, perf_event_mlock_kb (516 KiB per CPU by default) bounds what may be mapped.
  if (process.getuid?.() !== 0) return 2 ** Math.floor(Math.log2((256 << 10) / pageSize));
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
  cgroup: true,
  command: true,
  inherit: true,
  enableOnExec: true,
  excludeSelf: true,
  excludePids: true,
  maxQueuedBatches: true,
  sortByTime: true,
  stack: true,
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
  const targets = targetOptions(options);
  const followsProcesses = targets.pids.length > 0 || targets.command !== undefined;
  const inherit = booleanOption('inherit', options.inherit, followsProcesses);
  const enableOnExec = booleanOption('enableOnExec', options.enableOnExec, false);
  const maxQueuedBatches = maxQueuedBatchesOption(options.maxQueuedBatches);
  const sortByTime = booleanOption('sortByTime', options.sortByTime, false);
  const stack = stackOption(options.stack, 'stack');
  const flags = { kprobePmu, inherit, enableOnExec, sortByTime };
  const resolved = {
    events,
    probes,
    ringPages,
    ...wakeup,
    flushIntervalMs,
    cpus,
    ...targets,
    maxQueuedBatches,
    ...flags,
  };
  return stack === undefined ? resolved : { ...resolved, stack };
}

/** Last phase: options that are valid alone but not together, or that leave nothing to capture. */
function refuseConflicts({ events, probes, pids, command, inherit, enableOnExec }: ResolvedSessionOptions): void {
  if (events.length === 0 && probes.length === 0) {
    refuse(
      'NOTHING_TO_CAPTURE',
      undefined,
      'nothing to capture: give events, probes, or both',
      "for example { events: ['sched:sched_process_exec'] } or { probes: ['p do_sys_openat2'] }",
    );
  }
  const labels = [...events.map((e) => e.name), ...probes.flatMap((p) => (p.label === undefined ? [] : [p.label]))];
  const duplicate = labels.find((label, i) => labels.indexOf(label) !== i);
  if (duplicate !== undefined) {
    refuse(
      'BAD_OPTION_VALUE',
      'events',
      `event ${quoteInput(duplicate)} is listed twice`,
      'list each event once, and give probes names no tracepoint has',
    );
  }
  if (inherit && pids.length === 0 && command === undefined) {
    refuse(
      'CONFLICTING_OPTIONS',
      'inherit',
      'inherit needs a pid or a command',
      'inherit follows the children of traced processes; set pid or command too',
    );
  }
  if (enableOnExec && pids.length === 0) {
    refuse(
      'CONFLICTING_OPTIONS',
      'enableOnExec',
      'enableOnExec needs a pid',
      'it waits for one process to exec; set pid too',
    );
  }
}
