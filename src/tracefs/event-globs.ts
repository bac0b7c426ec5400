/**
 * Event names with wildcards (`sched:sched_process_*`, `*:sched_switch`) expanded to the events
 * tracefs has, so that a whole family of tracepoints is named in one word.
 */
import { type Dirent, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { suggestNames } from '../elf/suggest.js';
import { EventNameError, OptionError, kernelErrorFrom, quoteInput } from '../errors.js';
import { tracefsRoot } from './mount.js';

/**
 * How many events the patterns of one call may add by default. Each event costs one perf file
 * descriptor per CPU (256 events are 16384 descriptors and as many kernel perf events on 64 CPUs)
 * and puts a probe on its kernel path: 256 takes any one subsystem's group whole (sched, irq,
 * writeback, kvm, ext4, btrfs have 26 to 114 events on Linux 6.18) and every `*:name` pattern, but
 * stops the patterns that are most likely accidents and slow the whole system down:
 * `syscalls:sys_enter_*` (360 events), `syscalls:*` (720), `xfs:*` (631), `*:*` (2300).
 */
export const DEFAULT_EVENT_GLOB_LIMIT = 256;

/** The characters that make an event name a pattern. */
const GLOB_CHARACTERS = /[*?[]/;
/** A pattern part: the characters of event names, plus `*`, `?` and `[...]` classes (`!` or `^` negates). */
const PATTERN_PART = /^[A-Za-z0-9_.\-*?[\]!^]+$/;
const PATTERN_HINT =
  'name events as group:event; in a pattern, * matches any characters, ? one, [abc] or [a-z] one of a set ' +
  '(for example sched:sched_process_* or *:sched_switch)';

/** Whether `name` is a pattern (has `*`, `?` or `[`) rather than an event name. */
export function isEventPattern(name: string): boolean {
  return GLOB_CHARACTERS.test(name);
}

/** A pattern split at its ':' (or '/'): each part a literal name or a regular expression. */
interface ParsedPattern {
  text: string;
  group: string | RegExp;
  name: string | RegExp;
}

function refusePattern(text: string, why: string, hint = PATTERN_HINT): never {
  throw new EventNameError(`${quoteInput(text)} is not an event pattern: ${why}`, { event: text, hint });
}

/** The regular expression of one glob part: `*`, `?` and `[...]` as in the shell, the rest literal. */
function partRegExp(part: string, text: string): string | RegExp {
  if (!isEventPattern(part)) return part;
  let source = '';
  for (let i = 0; i < part.length; i++) {
    const c = part[i]!;
    if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else if (c === '[') {
      const close = part.indexOf(']', i + 1);
      let body = close === -1 ? '' : part.slice(i + 1, close);
      const negated = body.startsWith('!') || body.startsWith('^');
      if (negated) body = body.slice(1);
      if (!/^[A-Za-z0-9_.-]+$/.test(body)) refusePattern(text, `a [...] set is empty, unclosed or holds a wildcard`);
      source += `[${negated ? '^' : ''}${body}]`;
      i = close;
    } else if (c === ']' || c === '!' || c === '^') refusePattern(text, `${c} outside a [...] set`);
    else source += c === '.' ? '\\.' : c;
  }
  try {
    return new RegExp(`^${source}$`);
  } catch {
    return refusePattern(text, 'a [...] set has a range out of order, such as [z-a]');
  }
}

function parsePattern(text: unknown): ParsedPattern {
  if (typeof text !== 'string') {
    throw new EventNameError(`${String(text)} is not an event name: it is a ${typeof text}`, {
      event: text,
      hint: PATTERN_HINT,
    });
  }
  const parts = text.split(/[:/]/);
  if (parts.length !== 2)
    refusePattern(
      text,
      parts.length === 1 ? 'it has no ":" between group and event' : 'it has more than one ":" or "/"',
    );
  const [group, name] = parts as [string, string];
  for (const [what, part] of [
    ['group', group],
    ['event name', name],
  ] as const) {
    if (part === '') refusePattern(text, `the ${what} is empty`);
    if (!PATTERN_PART.test(part)) refusePattern(text, `the ${what} has characters no event name or pattern has`);
  }
  return { text, group: partRegExp(group, text), name: partRegExp(name, text) };
}

/** The subdirectories of `dir` whose names `part` matches; [] when `dir` is missing. */
function matchingDirectories(dir: string, part: string | RegExp): string[] {
  if (typeof part === 'string') return [part];
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return [];
    throw kernelErrorFrom(error, `listing the trace events in ${dir}`);
  }
  return entries.filter((entry) => entry.isDirectory() && part.test(entry.name)).map((entry) => entry.name);
}

/** The events `pattern` matches, as sorted `group:name`: event directories with a `format` file. */
function matchPattern(pattern: ParsedPattern, eventsDir: string): string[] {
  const matches: string[] = [];
  for (const group of matchingDirectories(eventsDir, pattern.group)) {
    for (const name of matchingDirectories(join(eventsDir, group), pattern.name)) {
      if (existsSync(join(eventsDir, group, name, 'format'))) matches.push(`${group}:${name}`);
    }
  }
  return matches.sort();
}

/** The error for a pattern that matches nothing, suggesting groups when its group does not exist. */
function noMatch(pattern: ParsedPattern, eventsDir: string): EventNameError {
  const { text, group } = pattern;
  let hint = `\`perf-bridge list\` shows every event; ${PATTERN_HINT}`;
  if (typeof group === 'string' && !existsSync(join(eventsDir, group))) {
    const groups = matchingDirectories(eventsDir, /^/);
    const similar = suggestNames(group, groups);
    hint = `there is no event group ${quoteInput(group)} on this kernel${
      similar.length > 0 ? `: did you mean ${similar.join(', ')}?` : ''
    } (\`perf-bridge list\` shows every event)`;
  } else if (typeof group === 'string') {
    hint = `\`perf-bridge list ${group}:\` shows the events of ${group}; ${PATTERN_HINT}`;
  }
  return new EventNameError(`${quoteInput(text)} matches no trace event on this kernel`, { event: text, hint });
}

/** The error for patterns that add more than `limit` events, naming how many each matched. */
function tooMany(added: Map<string, number>, total: number, limit: number): OptionError {
  const counts = [...added].map(([text, count]) => `${quoteInput(text)} ${count}`).join(', ');
  const what = added.size === 1 ? `${quoteInput([...added.keys()][0]!)} matches` : `the patterns (${counts}) match`;
  return new OptionError(`${what} ${total} events, more than the limit of ${limit} events from patterns`, {
    option: 'events',
    hint:
      'narrow the pattern (for example syscalls:sys_enter_open* instead of syscalls:sys_enter_*), or raise the ' +
      `limit if you mean to trace all ${total}: each event costs one file descriptor per CPU and slows its kernel path`,
  });
}

function checkLimit(limit: unknown): asserts limit is number {
  if (typeof limit !== 'number' || !(Number.isInteger(limit) || limit === Infinity) || limit < 0) {
    throw new OptionError(`the limit on events from patterns must be a non-negative integer, got ${String(limit)}`, {
      code: typeof limit === 'number' ? 'BAD_OPTION_VALUE' : 'BAD_OPTION_TYPE',
      option: undefined,
      hint: `leave it out for the default of ${DEFAULT_EVENT_GLOB_LIMIT}, or give Infinity for no limit`,
    });
  }
}

/**
 * `patterns` with every pattern expanded to the events it matches in tracefs `events/` under
 * `root`. An entry without `*`, `?` or `[` is an event name and passes through unchanged (whether
 * it exists is checked where it is opened). A pattern `GROUP:NAME` (or `GROUP/NAME`) has wildcards
 * in its group, its name or both: `*` matches any characters, `?` one, `[abc]`, `[a-z]` one of a
 * set, `[!abc]` one not in it. Its matches (directories with a `format` file) come sorted, in the
 * place of the pattern; an event that another entry already names, or that an earlier pattern
 * matched, is not added again, so that overlapping patterns never list an event twice.
 *
 * @throws {@link EventNameError} for a malformed pattern, or one that matches no event (with the
 *   groups it may have meant); {@link OptionError} (option `events`) when the patterns add more
 *   than `limit` events (see {@link DEFAULT_EVENT_GLOB_LIMIT}), naming how many each matched.
 */
export function expandEventNames(
  patterns: readonly string[],
  root: string = tracefsRoot(),
  limit: number = DEFAULT_EVENT_GLOB_LIMIT,
): string[] {
  checkLimit(limit);
  const eventsDir = join(root, 'events');
  // An event named outright keeps its own place: a pattern does not add it a second time.
  const names = patterns.filter((text) => typeof text === 'string' && !isEventPattern(text));
  const listed = new Set(names.map((text) => text.replace('/', ':')));
  const out: string[] = [];
  const added = new Map<string, number>();
  let total = 0;
  for (const text of patterns) {
    if (!isEventPattern(text)) {
      out.push(text);
      continue;
    }
    const pattern = parsePattern(text);
    const matches = matchPattern(pattern, eventsDir);
    if (matches.length === 0) throw noMatch(pattern, eventsDir);
    const fresh = matches.filter((name) => !listed.has(name));
    for (const name of fresh) listed.add(name);
    out.push(...fresh);
    added.set(text, (added.get(text) ?? 0) + fresh.length);
    total += fresh.length;
  }
  if (total > limit) throw tooMany(added, total, limit);
  return out;
}
