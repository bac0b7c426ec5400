/** Checking and converting the values of `trace` options: numbers, process and CPU lists, field keys. */
import type { OptionToken } from './scan.js';
import type { LatencyPair } from '../../aggregate/index.js';
import { UsageError } from '../failure.js';

/** CPU numbers stop below this (the kernel's largest NR_CPUS is 8192). */
const CPU_LIMIT = 8192;

/** A plain decimal: Number() alone would take "" as 0 and " 5" or "0x10" as numbers. */
const DECIMAL = /^\s*\+?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i;

/** A positive number (or integer) from `--name`, at most `max`; undefined when not given. */
export function positiveNumber(
  name: string,
  text: string | undefined,
  kind: 'integer' | 'number',
  max: number,
): number | undefined {
  if (text === undefined) return undefined;
  const n = DECIMAL.test(text) ? Number(text) : Number.NaN;
  if (!Number.isFinite(n) || n <= 0 || (kind === 'integer' && !Number.isInteger(n))) {
    throw new UsageError(`--${name} must be a positive ${kind}, got "${text}"`);
  }
  if (n > max) throw new UsageError(`--${name} must be at most ${max}, got "${text}"`);
  return n;
}

/** `-p PID[,PID...]`: process ids; whether they run is found out when the session opens. */
export function pidList(text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  const parts = text.split(',');
  const pids = parts.map((part) => (/^\s*\d+\s*$/.test(part) ? Number(part) : Number.NaN));
  if (pids.some((pid) => !Number.isSafeInteger(pid) || pid < 1)) {
    throw new UsageError(`--pid must be process ids separated by commas, such as 1234 or 1234,5678, got "${text}"`);
  }
  return pids;
}

/** One CPU number of a `-C` list. */
function cpuNumber(text: string, list: string): number {
  const cpu = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(cpu)) {
    throw new UsageError(`--cpu must be a CPU list such as 0,2-3, got "${list}"`);
  }
  if (cpu >= CPU_LIMIT) throw new UsageError(`--cpu: CPU ${text} is past the largest CPU number (${CPU_LIMIT - 1})`);
  return cpu;
}

/** `-C LIST` in perf's syntax (`0,2-3`): the CPUs in increasing order, each once. */
export function cpuList(text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  const cpus = new Set<number>();
  for (const part of text.split(',')) {
    const [from, to, ...rest] = part.trim().split('-');
    if (rest.length > 0 || from === undefined)
      throw new UsageError(`--cpu must be a CPU list such as 0,2-3, got "${text}"`);
    const first = cpuNumber(from, text);
    const last = to === undefined ? first : cpuNumber(to, text);
    if (last < first) throw new UsageError(`--cpu: the range ${part.trim()} runs backwards; write ${last}-${first}`);
    for (let cpu = first; cpu <= last; cpu++) cpus.add(cpu);
  }
  return [...cpus].sort((a, b) => a - b);
}

/** A key of `--count-by` or the field of `--hist`: a name such as `comm` or `prev_pid`. */
const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The keys of `--count-by KEY[,KEY...]`; whether a field exists is checked against the events later. */
export function keyList(option: string, text: string): string[] {
  const keys = text.split(',').map((key) => key.trim());
  const bad = keys.find((key) => !KEY.test(key));
  if (bad !== undefined) {
    const what = bad === '' ? 'an empty key' : `"${bad}", which is not a field name`;
    throw new UsageError(`--${option} ${text} has ${what}; give names such as comm,pid or a field of the event`);
  }
  return keys;
}

/** The field of `--hist FIELD`. */
export function fieldName(option: string, text: string): string {
  if (!KEY.test(text)) {
    throw new UsageError(`--${option} needs one field name, such as ret or bytes_req, got "${text}"`);
  }
  return text;
}

/** `--latency ENTRY,RETURN`: two event names or probe labels. */
export function latencyPair(text: string | undefined): LatencyPair | undefined {
  if (text === undefined) return undefined;
  const parts = text.split(',').map((part) => part.trim());
  if (parts.length !== 2 || parts.some((part) => part === '' || /\s/.test(part))) {
    throw new UsageError(`--latency takes ENTRY,RETURN (two event names or probe labels), got "${text}"`);
  }
  return { entry: parts[0]!, exit: parts[1]! };
}

/** The value of `option`, refusing an empty one. */
export function nonEmpty(option: OptionToken | undefined): string | undefined {
  if (option?.value === undefined) return undefined;
  if (option.value === '') throw new UsageError(`${option.written} needs a value, got ""`);
  return option.value;
}
