/** Session options: what callers may set, the defaults, and validation before any syscall. */
import { readFileSync } from 'node:fs';

import { suggestNames } from '../elf/suggest.js';
import { cutInput, OptionError, type OptionErrorCode, quoteInput } from '../errors.js';
import type { ProbeInput } from '../probes/probe-set.js';
import { parseEventName } from '../tracefs/events.js';
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
/** The kernel's PID_MAX_LIMIT, for when /proc/sys/kernel/pid_max cannot be read. */
const PID_MAX_LIMIT = 4 * 1024 * 1024;

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

/** A value as an error message shows it: strings quoted and cut, numbers as JavaScript prints them. */
function shown(value: unknown): string {
  if (typeof value === 'string') return quoteInput(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined) return String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return cutInput(value.toString());
  try {
    return cutInput(JSON.stringify(value) ?? String(value));
  } catch {
    return Object.prototype.toString.call(value); // cyclic, or holds a bigint
  }
}

function refuse(code: OptionErrorCode, option: string | undefined, message: string, hint: string): never {
  throw new OptionError(message, { code, option, hint });
}

/**
 * Refuses `value` of numeric option `option`: `expected` says what it must be. A number is a bad
 * value; anything else (a string '512', null) a bad type.
 */
function refuseNumber(option: string, value: unknown, expected: string, hint: string): never {
  const code = typeof value === 'number' ? 'BAD_OPTION_VALUE' : 'BAD_OPTION_TYPE';
  return refuse(code, option, `${option} must be ${expected}, got ${shown(value)}`, hint);
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A probe definition object (from the builder or parse()), as opposed to a record of them. */
function isDefinition(value: unknown): boolean {
  return isRecord(value) && 'location' in value && 'kind' in value;
}

/** Refuses keys of `given` that are not in `known`, naming the nearest known one. */
function refuseUnknownKeys(given: object, known: readonly string[], where: string): void {
  for (const key of Object.keys(given)) {
    if (known.includes(key)) continue;
    const [nearest] = suggestNames(key, known, 1);
    refuse(
      'UNKNOWN_OPTION',
      where === '' ? key : `${where}.${key}`,
      `${quoteInput(key)} is not ${where === '' ? 'a session option' : `an option of ${where}`}`,
      nearest !== undefined ? `did you mean ${nearest}?` : `the options are ${known.join(', ')}`,
    );
  }
}

const TRUE_WORDS: readonly unknown[] = ['yes', 'true', 'on', '1', 1];
const FALSE_WORDS: readonly unknown[] = ['no', 'false', 'off', '0', 0];

function booleanOption(options: SessionOptions, name: BooleanOptionName, fallback: boolean): boolean {
  const value: unknown = options[name];
  if (value === undefined) return fallback;
  if (typeof value === 'boolean') return value;
  const meant = TRUE_WORDS.includes(value) ? 'true' : FALSE_WORDS.includes(value) ? 'false' : undefined;
  return refuse(
    'BAD_OPTION_TYPE',
    name,
    `${name} must be true or false, got ${shown(value)}`,
    meant
      ? `did you mean ${name}: ${meant}?`
      : `write ${name}: true or ${name}: false, or leave it out (default ${fallback})`,
  );
}
type BooleanOptionName = 'kprobePmu' | 'inherit' | 'enableOnExec' | 'sortByTime';

function eventsOption(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    const hint =
      typeof value === 'string'
        ? `did you mean events: [${quoteInput(value)}]?`
        : "for example { events: ['sched:sched_process_exec'] }";
    refuse('BAD_OPTION_TYPE', 'events', `events must be an array of event names, got ${shown(value)}`, hint);
  }
  return value.map((event: unknown, i) => {
    if (typeof event !== 'string') {
      refuse(
        'BAD_OPTION_TYPE',
        `events[${i}]`,
        `event ${shown(event)} (events[${i}]) is not a string`,
        "name events as 'group:name', e.g. 'sched:sched_switch'",
      );
    }
    parseEventName(event); // throws EventNameError before anything is read from tracefs
    return event;
  });
}

function checkProbeInput(input: unknown, where: string): ProbeInput {
  if (typeof input === 'string' || isDefinition(input)) return input as ProbeInput;
  return refuse(
    'BAD_OPTION_TYPE',
    `probes[${where}]`,
    `probe ${where} is neither definition text nor a probe definition: ${shown(input)}`,
    "give kernel text such as 'p:do_sys_openat2 name=+0(%si):string', or use the builder (kprobe(), uprobe(), ...)",
  );
}

function probesOption(probes: unknown): { label?: string; input: ProbeInput }[] {
  if (probes === undefined) return [];
  if (Array.isArray(probes)) return probes.map((input: unknown, i) => ({ input: checkProbeInput(input, `#${i}`) }));
  const kind = 'probes must be an array or a record of definitions';
  if (typeof probes === 'string' || isDefinition(probes)) {
    const meant =
      typeof probes === 'string'
        ? `probes: [${quoteInput(probes)}]`
        : 'probes: [definition] or probes: { label: definition }';
    refuse('BAD_OPTION_TYPE', 'probes', `${kind}, got one definition: ${shown(probes)}`, `did you mean ${meant}?`);
  }
  if (!isRecord(probes)) {
    refuse(
      'BAD_OPTION_TYPE',
      'probes',
      `${kind}, got ${shown(probes)}`,
      "for example { probes: { open: 'p:do_sys_openat2' } }",
    );
  }
  return Object.entries(probes).map(([label, input]) => {
    if (label.trim() === '') {
      refuse(
        'BAD_OPTION_VALUE',
        'probes',
        `probe label ${quoteInput(label)} is empty`,
        'give each probe the label its events are reported under, e.g. { open: ... }',
      );
    }
    return { label, input: checkProbeInput(input, quoteInput(label)) };
  });
}

function cpusOption(value: unknown): number[] {
  const online = onlineCpus();
  if (value === undefined) return online;
  if (!Array.isArray(value)) {
    const hint = typeof value === 'number' ? `did you mean cpus: [${value}]?` : `for example cpus: [${online[0] ?? 0}]`;
    refuse('BAD_OPTION_TYPE', 'cpus', `cpus must be an array of CPU numbers, got ${shown(value)}`, hint);
  }
  if (value.length === 0) {
    refuse(
      'BAD_OPTION_VALUE',
      'cpus',
      'cpus must not be empty',
      `online CPUs: ${online.join(',')}; leave cpus out for all of them`,
    );
  }
  for (const cpu of value as unknown[]) {
    if (typeof cpu !== 'number' || !Number.isInteger(cpu) || !online.includes(cpu)) {
      refuse('BAD_OPTION_VALUE', 'cpus', `CPU ${shown(cpu)} is not online`, `online CPUs are ${online.join(',')}`);
    }
  }
  if (new Set(value).size !== value.length) {
    refuse('BAD_OPTION_VALUE', 'cpus', `cpus lists a CPU twice: ${shown(value)}`, 'list each CPU once');
  }
  return [...(value as number[])];
}

function wakeupOption(value: unknown, ringBytes: number): { wakeupBytes?: number; wakeupEvents?: number } {
  if (value === undefined) return { wakeupBytes: Math.max(1, Math.floor(ringBytes / 4)) };
  const form = 'wakeup must be { bytes: N } or { events: N }';
  const orDefault = 'or leave it out for the default (a quarter of the ring)';
  if (!isRecord(value)) refuse('BAD_OPTION_TYPE', 'wakeup', `${form}, got ${shown(value)}`, orDefault);
  refuseUnknownKeys(value, ['bytes', 'events'], 'wakeup');
  if ('bytes' in value && 'events' in value) {
    refuse(
      'CONFLICTING_OPTIONS',
      'wakeup',
      `${form}, not both`,
      'bytes wakes the reader when a ring holds that much; events after that many records',
    );
  }
  if ('bytes' in value) {
    const bytes = value.bytes;
    if (!isPositiveInteger(bytes) || bytes >= ringBytes) {
      refuseNumber(
        'wakeup.bytes',
        bytes,
        `an integer from 1 to ${ringBytes - 1} (below the ring size)`,
        'a quarter to a half of the ring is a good watermark',
      );
    }
    return { wakeupBytes: bytes };
  }
  if ('events' in value) {
    const events = value.events;
    if (!isPositiveInteger(events) || events > 0xffffffff) {
      refuseNumber(
        'wakeup.events',
        events,
        'a positive integer below 2^32',
        'wakeup.events 1 wakes the reader for every record: lowest latency, highest cost',
      );
    }
    return { wakeupEvents: events };
  }
  return refuse('BAD_OPTION_VALUE', 'wakeup', `${form}, got {}`, orDefault);
}

/** The kernel's pid_max: pids are below it (`/proc/sys/kernel/pid_max`). */
function pidMax(): number {
  try {
    const value = Number.parseInt(readFileSync('/proc/sys/kernel/pid_max', 'utf8'), 10);
    return Number.isSafeInteger(value) && value > 1 ? value : PID_MAX_LIMIT;
  } catch {
    return PID_MAX_LIMIT;
  }
}

function pidOption(value: unknown): number {
  if (value === undefined) return -1;
  const max = pidMax() - 1;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    refuseNumber(
      'pid',
      value,
      `a positive process id (an integer from 1 to ${max})`,
      'leave pid out to trace every process',
    );
  }
  return value;
}

function ringPagesOption(value: unknown, cpuCount: number, pageSize: number): number {
  const fallback = defaultRingPages(cpuCount, pageSize);
  if (value === undefined) return fallback;
  if (!isPositiveInteger(value) || (value & (value - 1)) !== 0 || value > MAX_RING_PAGES) {
    refuseNumber(
      'ringPages',
      value,
      `a power of two from 1 to ${MAX_RING_PAGES}`,
      `leave it out for the default (${fallback} pages per CPU here), or give a power of two such as 512`,
    );
  }
  return value;
}

function flushIntervalOption(value: unknown): number {
  if (value === undefined) return 4;
  if (typeof value !== 'number' || !(value > 0) || value > 60_000) {
    refuseNumber(
      'flushIntervalMs',
      value,
      'a number of milliseconds in (0, 60000]',
      'the flush bounds delivery latency; 1 to 100 ms is typical',
    );
  }
  return value;
}

function maxQueuedBatchesOption(value: unknown): number {
  if (value === undefined) return 64;
  if (!isPositiveInteger(value)) refuseNumber('maxQueuedBatches', value, 'a positive integer', 'the default is 64');
  return value;
}

/**
 * Applies defaults and checks every option — names, types and values — before any system call
 * but the reads of /sys (online CPUs) and /proc (pid_max); throws {@link OptionError} naming the
 * bad option and its value, or EventNameError for a bad event name.
 */
export function resolveSessionOptions(options: SessionOptions, pageSize: number): ResolvedSessionOptions {
  if (!isRecord(options)) {
    refuse(
      'BAD_OPTION_TYPE',
      undefined,
      `session options must be an object, got ${shown(options)}`,
      "pass { events: ['group:name'] }",
    );
  }
  refuseUnknownKeys(options, Object.keys(OPTION_NAMES), '');
  const events = eventsOption(options.events);
  const probes = probesOption(options.probes);
  const kprobePmu = booleanOption(options, 'kprobePmu', false);
  const cpus = cpusOption(options.cpus);
  const ringPages = ringPagesOption(options.ringPages, cpus.length, pageSize);
  const wakeup = wakeupOption(options.wakeup, ringPages * pageSize);
  const flushIntervalMs = flushIntervalOption(options.flushIntervalMs);
  const pid = pidOption(options.pid);
  const inherit = booleanOption(options, 'inherit', pid !== -1);
  const enableOnExec = booleanOption(options, 'enableOnExec', false);
  const maxQueuedBatches = maxQueuedBatchesOption(options.maxQueuedBatches);
  const sortByTime = booleanOption(options, 'sortByTime', false);

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
  const flags = { kprobePmu, inherit, enableOnExec, sortByTime };
  return { events, probes, ringPages, ...wakeup, flushIntervalMs, cpus, pid, maxQueuedBatches, ...flags };
}
