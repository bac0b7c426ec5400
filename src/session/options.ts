/** Session options: what callers may set, the defaults, and validation before any syscall. */
import { OptionError } from '../errors.js';
import type { ProbeInput } from '../probes/probe-set.js';
import { onlineCpus } from './cpus.js';

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
 * limit allows. A flood at ~3 M events/s fills 2 MiB in ~10 ms, so on small
 * machines the larger rings absorb start-up and GC pauses; on large ones the total stays bounded.
 */
export function defaultRingPages(cpuCount: number, pageSize: number): number {
  // Without root, perf_event_mlock_kb (516 KiB per CPU by default) bounds what may be mapped.
  if (process.getuid?.() !== 0) return 2 ** Math.floor(Math.log2((512 << 10) / pageSize));
  const perCpu = Math.min(8 << 20, Math.max(512 << 10, DEFAULT_RING_BUDGET / Math.max(1, cpuCount)));
  return 2 ** Math.floor(Math.log2(perCpu / pageSize));
}
const MAX_RING_PAGES = 1 << 18;

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

/** Applies defaults and checks every option; throws {@link OptionError} naming the bad one. */
export function resolveSessionOptions(options: SessionOptions, pageSize: number): ResolvedSessionOptions {
  if (options === null || typeof options !== 'object') {
    throw new OptionError('session options must be an object', { hint: "pass { events: ['group:name'] }" });
  }
  const events = options.events === undefined ? [] : options.events;
  if (!Array.isArray(events)) {
    throw new OptionError('events must be an array of event names', { hint: "for example { events: ['sched:sched_process_exec'] }" });
  }
  for (const event of events) {
    if (typeof event !== 'string') throw new OptionError(`event ${String(event)} is not a string`, { hint: 'name events as group:name' });
  }
  const probes = resolveProbes(options.probes);
  if (events.length === 0 && probes.length === 0) {
    throw new OptionError('nothing to capture: give events, probes, or both', {
      hint: "for example { events: ['sched:sched_process_exec'] } or { probes: ['p:do_sys_openat2'] }",
    });
  }
  const labels = [...events, ...probes.flatMap((p) => (p.label === undefined ? [] : [p.label]))];
  const duplicate = labels.find((label, i) => labels.indexOf(label) !== i);
  if (duplicate !== undefined) {
    throw new OptionError(`event ${duplicate} is listed twice`, { hint: 'list each event once, and give probes names no tracepoint has' });
  }
  const kprobePmu = options.kprobePmu ?? false;
  if (typeof kprobePmu !== 'boolean') throw new OptionError('kprobePmu must be a boolean', { hint: 'true or false' });

  const online = onlineCpus();
  const cpus = options.cpus === undefined ? online : [...options.cpus];
  if (cpus.length === 0) throw new OptionError('cpus must not be empty', { hint: `online CPUs: ${online.join(',')}` });
  for (const cpu of cpus) {
    if (!Number.isInteger(cpu) || !online.includes(cpu)) {
      throw new OptionError(`CPU ${String(cpu)} is not online`, { hint: `online CPUs are ${online.join(',')}` });
    }
  }
  if (new Set(cpus).size !== cpus.length) throw new OptionError('cpus lists a CPU twice', { hint: 'list each CPU once' });

  const ringPages = options.ringPages ?? defaultRingPages(cpus.length, pageSize);
  if (!isPositiveInteger(ringPages) || (ringPages & (ringPages - 1)) !== 0 || ringPages > MAX_RING_PAGES) {
    throw new OptionError(`ringPages must be a power of two from 1 to ${MAX_RING_PAGES}, got ${String(ringPages)}`, {
      hint: `leave it out for the default (${defaultRingPages(cpus.length, pageSize)} pages per CPU here), or give a power of two such as 512`,
    });
  }
  const ringBytes = ringPages * pageSize;

  let wakeupBytes: number | undefined;
  let wakeupEvents: number | undefined;
  const wakeup = options.wakeup as { bytes?: unknown; events?: unknown } | undefined;
  if (wakeup === undefined) {
    wakeupBytes = Math.max(1, Math.floor(ringBytes / 4));
  } else if (typeof wakeup !== 'object' || wakeup === null || ('bytes' in wakeup && 'events' in wakeup)) {
    throw new OptionError('wakeup must be { bytes: N } or { events: N }, not both', {
      hint: 'bytes wakes the reader when a ring holds that much; events after that many records',
    });
  } else if ('bytes' in wakeup) {
    if (!isPositiveInteger(wakeup.bytes) || wakeup.bytes >= ringBytes) {
      throw new OptionError(`wakeup.bytes must be an integer from 1 to ${ringBytes - 1} (below the ring size), got ${String(wakeup.bytes)}`, {
        hint: 'a quarter to a half of the ring is a good watermark',
      });
    }
    wakeupBytes = wakeup.bytes;
  } else if ('events' in wakeup) {
    if (!isPositiveInteger(wakeup.events) || wakeup.events > 0xffffffff) {
      throw new OptionError(`wakeup.events must be a positive integer, got ${String(wakeup.events)}`, {
        hint: 'wakeup.events 1 wakes the reader for every record: lowest latency, highest cost',
      });
    }
    wakeupEvents = wakeup.events;
  } else {
    throw new OptionError('wakeup must be { bytes: N } or { events: N }', { hint: 'or leave it out for the default' });
  }

  const flushIntervalMs = options.flushIntervalMs ?? 4;
  if (typeof flushIntervalMs !== 'number' || !(flushIntervalMs > 0) || flushIntervalMs > 60_000) {
    throw new OptionError(`flushIntervalMs must be a number of milliseconds in (0, 60000], got ${String(flushIntervalMs)}`, {
      hint: 'the flush bounds delivery latency; 1 to 100 ms is typical',
    });
  }

  const pid = options.pid ?? -1;
  if (!Number.isInteger(pid) || (pid !== -1 && pid <= 0)) {
    throw new OptionError(`pid must be a positive process id, got ${String(pid)}`, { hint: 'leave pid out to trace every process' });
  }
  const inherit = options.inherit ?? pid !== -1;
  if (typeof inherit !== 'boolean') throw new OptionError('inherit must be a boolean', { hint: 'true or false' });
  if (inherit && pid === -1) {
    throw new OptionError('inherit needs a pid', { hint: 'inherit follows the children of one traced process; set pid too' });
  }

  const enableOnExec = options.enableOnExec ?? false;
  if (enableOnExec && pid === -1) {
    throw new OptionError('enableOnExec needs a pid', { hint: 'it waits for one process to exec; set pid too' });
  }

  const maxQueuedBatches = options.maxQueuedBatches ?? 64;
  if (!isPositiveInteger(maxQueuedBatches)) {
    throw new OptionError(`maxQueuedBatches must be a positive integer, got ${String(maxQueuedBatches)}`, { hint: 'the default is 64' });
  }
  const sortByTime = options.sortByTime ?? false;
  return { events: [...events], probes, kprobePmu, ringPages, wakeupBytes, wakeupEvents, flushIntervalMs, cpus, pid, inherit, enableOnExec, maxQueuedBatches, sortByTime };
}

function resolveProbes(probes: ProbeInputs | undefined): { label?: string; input: ProbeInput }[] {
  if (probes === undefined) return [];
  const checkInput = (input: unknown, where: string) => {
    if (typeof input !== 'string' && (input === null || typeof input !== 'object' || !('location' in input))) {
      throw new OptionError(`probe ${where} is neither definition text nor a probe definition`, {
        hint: "give kernel text such as 'p:do_sys_openat2 name=+0(%si):string', or use the builder (kprobe(), uprobe(), ...)",
      });
    }
    return input as ProbeInput;
  };
  if (Array.isArray(probes)) return probes.map((input, i) => ({ input: checkInput(input, `#${i}`) }));
  if (probes === null || typeof probes !== 'object') {
    throw new OptionError('probes must be an array or a record of definitions', { hint: "for example { probes: { open: 'p:do_sys_openat2' } }" });
  }
  return Object.entries(probes).map(([label, input]) => ({ label, input: checkInput(input, `"${label}"`) }));
}
