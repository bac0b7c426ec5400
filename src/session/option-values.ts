/**
 * Checking the value of one session option at a time: its type and range, with an
 * {@link OptionError} that names the option, quotes the value and hints at a fix.
 */
import { suggestNames } from '../elf/suggest.js';
import { cutInput, OptionError, type OptionErrorCode, quoteInput } from '../errors.js';
import type { ProbeInput } from '../probes/probe-set.js';
import { isEventPattern } from '../tracefs/event-globs.js';
import { parseEventName } from '../tracefs/events.js';
import { onlineCpus } from './cpus.js';
import { type ResolvedStack, stackOption } from './stack-option.js';

/** The largest ring the kernel maps per CPU, in pages. */
const MAX_RING_PAGES = 1 << 18;

/** A value as an error message shows it: strings quoted and cut, numbers as JavaScript prints them. */
export function shown(value: unknown): string {
  if (typeof value === 'string') return quoteInput(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined) return String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return cutInput(value.toString());
  try {
    // Typed as string, but undefined for an object whose toJSON() returns undefined.
    const json = JSON.stringify(value) as string | undefined;
    return json === undefined ? Object.prototype.toString.call(value) : cutInput(json);
  } catch {
    return Object.prototype.toString.call(value); // cyclic, or holds a bigint
  }
}

/** Throws the {@link OptionError} for `option` (undefined: the options as a whole). */
export function refuse(code: OptionErrorCode, option: string | undefined, message: string, hint: string): never {
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

/** True for a plain object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A probe definition object (from the builder or parse()), as opposed to a record of them. */
function isDefinition(value: unknown): boolean {
  return isRecord(value) && 'location' in value && 'kind' in value;
}

/** Refuses keys of `given` that are not in `known`, naming the nearest known one. */
export function refuseUnknownKeys(given: object, known: readonly string[], where: string): void {
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

/** Boolean option `name`: `value`, or `fallback` when it is undefined. */
export function booleanOption(name: string, value: unknown, fallback: boolean): boolean {
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

/** `events`: an array of event names (each parsed, so a bad one throws EventNameError). */
export function eventsOption(value: unknown): ListedEvent[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    const hint =
      typeof value === 'string'
        ? `did you mean events: [${quoteInput(value)}]?`
        : "for example { events: ['sched:sched_process_exec'] }";
    refuse('BAD_OPTION_TYPE', 'events', `events must be an array of event names, got ${shown(value)}`, hint);
  }
  return value.map((entry: unknown, i) => {
    if (isRecord(entry)) return filteredEventEntry(entry, `events[${i}]`);
    return { name: checkedEventName(entry, `events[${i}]`) };
  });
}

/**
 * An event name or glob, checked for shape before anything is read from tracefs: a plain name
 * fully (EventNameError), a glob as far as it can be before it is expanded.
 */
function checkedEventName(name: unknown, where: string): string {
  if (typeof name !== 'string') {
    refuse(
      'BAD_OPTION_TYPE',
      where,
      `event ${shown(name)} (${where}) is not a string`,
      "name events as 'group:name', e.g. 'sched:sched_switch', or { event: 'group:name', filter: '...' }",
    );
  }
  // A glob's shape is checked with its wildcards as name characters; what it matches, when expanded.
  parseEventName(isEventPattern(name) ? name.replace(/[*?[\]!^]/g, 'x') : name);
  return name;
}

/** An entry of the `events` option, checked. */
export interface ListedEvent {
  /** A name or a glob. */
  name: string;
  filter?: string;
  /** The entry's own `stack` option (the session's applies when it has none). */
  stack?: ResolvedStack;
}

/**
 * `{ event, filter, stack }`: the filter's text is checked against the event's format once that
 * is read.
 */
function filteredEventEntry(entry: Record<string, unknown>, where: string): ListedEvent {
  refuseUnknownKeys(entry, ['event', 'filter', 'stack'], where);
  const name = checkedEventName(entry.event, `${where}.event`);
  const stack = stackOption(entry.stack, `${where}.stack`);
  const filter = entry.filter;
  if (filter === undefined) return stack === undefined ? { name } : { name, stack };
  // Only the type here: what the text says is checked against the event's format (FilterError).
  if (typeof filter !== 'string') {
    refuse(
      'BAD_OPTION_TYPE',
      `${where}.filter`,
      `the filter of ${quoteInput(name)} must be a string, got ${shown(filter)}`,
      "write it in the kernel's filter language, e.g. 'common_pid != 1 && count > 4096'",
    );
  }
  return stack === undefined ? { name, filter } : { name, filter, stack };
}

function checkProbeInput(input: unknown, where: string): ProbeInput {
  if (typeof input === 'string' || isDefinition(input)) return input as ProbeInput;
  return refuse(
    'BAD_OPTION_TYPE',
    `probes[${where}]`,
    `probe ${where} is neither definition text nor a probe definition: ${shown(input)}`,
    "give kernel text such as 'p do_sys_openat2 name=+0(%si):string', or use the builder (kprobe(), uprobe(), ...)",
  );
}

/** `probes`: an array of probe inputs, or a record of them by label. */
export function probesOption(probes: unknown): { label?: string; input: ProbeInput }[] {
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
      "for example { probes: { open: 'p do_sys_openat2' } }",
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

/** `cpus`: online CPUs, each once; every online CPU by default. */
export function cpusOption(value: unknown): number[] {
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

/** `wakeup`: `{ bytes }` below the ring size or `{ events }`; a quarter of the ring by default. */
export function wakeupOption(value: unknown, ringBytes: number): { wakeupBytes?: number; wakeupEvents?: number } {
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

/** `ringPages`: a power of two up to MAX_RING_PAGES; `fallback` by default. */
export function ringPagesOption(value: unknown, fallback: number): number {
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

/** `flushIntervalMs`: in (0, 60000]; 4 by default. */
export function flushIntervalOption(value: unknown): number {
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

/** `maxQueuedBatches`: a positive integer; 64 by default. */
export function maxQueuedBatchesOption(value: unknown): number {
  if (value === undefined) return 64;
  if (!isPositiveInteger(value)) refuseNumber('maxQueuedBatches', value, 'a positive integer', 'the default is 64');
  return value;
}
