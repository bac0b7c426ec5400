/** Reading the static description of trace events from tracefs. */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { suggestNames } from '../elf/suggest.js';
import { EventNameError, cutInput, kernelErrorFrom, quoteInput } from '../errors.js';
import { tracefsRoot } from './mount.js';

/** An event named as `group:name` split into its parts. */
export interface EventName {
  group: string;
  name: string;
}

/** A group or event name as tracefs has them; a leading '.' would name `.`, `..` or a hidden file. */
const EVENT_PART = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
/** Files directly under tracefs `events/` that look like groups but are not. */
const NOT_GROUPS = new Set(['enable', 'header_page', 'header_event']);
/** Control files inside a group or event directory that look like event names but are not. */
const NOT_EVENTS = new Set(['enable', 'filter', 'format', 'id']);
/** The longest file name Linux allows (NAME_MAX): longer names cannot be in tracefs. */
const NAME_MAX = 255;
const NAME_HINT = 'name tracepoints as group:event, for example sched:sched_process_exec (see `perf-bridge list`)';

/** Why `group`/`name` (the parts of a `group:event` text) name no event, with a hint; undefined if they may. */
function notAnEvent(group: string, name: string): { why: string; hint: string } | undefined {
  if (group === '' || name === '') {
    return { why: `the ${group === '' ? 'group' : 'event name'} is empty`, hint: NAME_HINT };
  }
  for (const [part, text] of [
    ['group', group],
    ['event name', name],
  ] as const) {
    if (text.length > NAME_MAX) {
      const why = `the ${part} is ${text.length} characters long; tracefs names have at most ${NAME_MAX}`;
      return { why, hint: NAME_HINT };
    }
    // eslint-disable-next-line no-control-regex -- finding control characters is the point of this check
    if (/[\u0000-\u001f\u007f-\u009f]/.test(text)) {
      const hint = `${NAME_HINT}; names are letters, digits, '_', '-' and '.'`;
      return { why: `the ${part} contains a control character`, hint };
    }
    if (!EVENT_PART.test(text)) {
      return {
        why: `the ${part} ${quoteInput(text)} has characters no event name has`,
        hint: `names are letters, digits, '_', '-' and '.', not starting with '.'; ${NAME_HINT}`,
      };
    }
  }
  if (NOT_GROUPS.has(group)) {
    const what = group === 'enable' ? 'enables every event' : 'describes the ring buffer layout';
    return { why: `${group} is a tracefs file that ${what}, not an event group`, hint: NAME_HINT };
  }
  if (NOT_EVENTS.has(name)) {
    return {
      why: `${name} is a tracefs control file, not an event`,
      hint:
        `enable, filter, format and id are control files of a group or event; name an event of ${group} ` +
        `(\`perf-bridge list ${group}:\` shows them)`,
    };
  }
  return undefined;
}

/**
 * Splits `group:name` (also accepting `group/name`), rejecting anything that is not an event name:
 * empty parts, path tricks, control characters, and tracefs control files such as `sched:enable`.
 * Throws {@link EventNameError}; reads nothing.
 */
export function parseEventName(text: string): EventName {
  // JavaScript callers can pass anything: check what arrived, not what the type promises.
  const input: unknown = text;
  if (typeof input !== 'string') {
    const kind = input === null ? 'null' : `a ${typeof input}`;
    throw new EventNameError(`${String(input)} is not an event name: it is ${kind}`, {
      event: input,
      hint: NAME_HINT,
    });
  }
  const separators = input.match(/[:/]/g)?.length ?? 0;
  const separator = input.search(/[:/]/);
  const problem =
    separators !== 1
      ? {
          why: separators === 0 ? 'it has no ":" between group and event' : 'it has more than one ":" or "/"',
          hint: NAME_HINT,
        }
      : notAnEvent(input.slice(0, separator), input.slice(separator + 1));
  if (problem !== undefined) {
    throw new EventNameError(`${quoteInput(input)} is not an event name: ${problem.why}`, {
      event: input,
      hint: problem.hint,
    });
  }
  return { group: input.slice(0, separator), name: input.slice(separator + 1) };
}

function eventDir(event: EventName, root: string): string {
  // The parts may come from a caller's own object, of any shape: never let them leave events/.
  const input: unknown = event;
  const hint = "pass { group, name }, e.g. parseEventName('sched:sched_switch')";
  if (typeof input !== 'object' || input === null) {
    throw new EventNameError(`${String(input)} is not an event name`, { event: input, hint });
  }
  const { group, name } = input as Partial<Record<keyof EventName, unknown>>;
  const problem =
    typeof group === 'string' && typeof name === 'string'
      ? notAnEvent(group, name)
      : { why: 'its group and name must be strings', hint };
  if (problem !== undefined) {
    const shown = quoteInput(`${String(group)}:${String(name)}`);
    throw new EventNameError(`${shown} is not an event name: ${problem.why}`, { event: input, hint: problem.hint });
  }
  return join(root, 'events', event.group, event.name);
}

/** Up to five `group:event` names close to `event`, for a "did you mean" hint. */
function similarEvents(event: EventName, root: string): string[] {
  const eventsDir = join(root, 'events');
  try {
    const groups = readdirSync(eventsDir);
    if (!groups.includes(event.group)) {
      return suggestNames(event.group, groups).map((group) => `${group}:${event.name}`);
    }
    return suggestNames(event.name, readdirSync(join(eventsDir, event.group))).map((name) => `${event.group}:${name}`);
  } catch {
    return [];
  }
}

function readEventFile(event: EventName, file: string, root: string): string {
  const dir = eventDir(event, root);
  const shown = cutInput(`${event.group}:${event.name}`);
  try {
    return readFileSync(join(dir, file), 'utf8');
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') {
      const similar = similarEvents(event, root);
      const hint =
        similar.length > 0 ? `did you mean ${similar.join(', ')}? (\`perf-bridge list\` shows every event)` : undefined;
      throw kernelErrorFrom(error, `no trace event ${shown} on this kernel`, { hint });
    }
    throw kernelErrorFrom(error, `reading ${file} of ${shown}`);
  }
}

/** Reads the numeric id of an event (the `config` of a PERF_TYPE_TRACEPOINT perf event). */
export function readEventId(event: EventName, root: string = tracefsRoot()): number {
  return Number.parseInt(readEventFile(event, 'id', root).trim(), 10);
}

/** Reads the text of an event's `format` file. */
export function readEventFormat(event: EventName, root: string = tracefsRoot()): string {
  return readEventFile(event, 'format', root);
}

/** Lists every event as `group:name`, sorted, from the events directory. */
export function listEvents(root: string = tracefsRoot()): string[] {
  const out: string[] = [];
  const eventsDir = join(root, 'events');
  try {
    for (const group of readdirSync(eventsDir, { withFileTypes: true })) {
      if (!group.isDirectory()) continue;
      for (const event of readdirSync(join(eventsDir, group.name), { withFileTypes: true })) {
        if (event.isDirectory()) out.push(`${group.name}:${event.name}`);
      }
    }
  } catch (error) {
    throw kernelErrorFrom(error, `listing the trace events in ${eventsDir}`);
  }
  return out.sort();
}
