/** Reading the static description of trace events from tracefs. */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { PerfBridgeError, kernelErrorFrom } from '../errors.js';
import { tracefsRoot } from './mount.js';

/** An event named as `group:name` split into its parts. */
export interface EventName {
  group: string;
  name: string;
}

const EVENT_PART = /^[A-Za-z0-9_.-]+$/;

/** Splits `group:name` (also accepting `group/name`), rejecting anything that could escape tracefs. */
export function parseEventName(text: string): EventName {
  const match = /^([^:/]+)[:/]([^:/]+)$/.exec(text);
  if (!match || !EVENT_PART.test(match[1]!) || !EVENT_PART.test(match[2]!) || match[1] === '..' || match[2] === '..') {
    throw new PerfBridgeError(`"${text}" is not an event name`, {
      hint: 'name tracepoints as group:event, for example sched:sched_process_exec (see `perf-bridge list`)',
    });
  }
  return { group: match[1]!, name: match[2]! };
}

function eventDir(event: EventName, root: string): string {
  return join(root, 'events', event.group, event.name);
}

function readEventFile(event: EventName, file: string, root: string): string {
  try {
    return readFileSync(join(eventDir(event, root), file), 'utf8');
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') {
      throw kernelErrorFrom(error, `no trace event ${event.group}:${event.name} on this kernel`);
    }
    throw kernelErrorFrom(error, `reading ${file} of ${event.group}:${event.name}`);
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
  for (const group of readdirSync(eventsDir, { withFileTypes: true })) {
    if (!group.isDirectory()) continue;
    for (const event of readdirSync(join(eventsDir, group.name), { withFileTypes: true })) {
      if (event.isDirectory()) out.push(`${group.name}:${event.name}`);
    }
  }
  return out.sort();
}
