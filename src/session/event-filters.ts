/**
 * The user's kernel filters, checked against each event's format before anything is opened, in
 * the filter language of the running kernel (detected once per process, on the first filter).
 */
import { compileFilter } from '../filter/compile.js';
import { type FilterGrammar, detectFilterGrammar } from '../filter/grammar.js';
import { kernelErrorFrom } from '../errors.js';
import { native } from '../native.js';
import { parseEventName, readEventId } from '../tracefs/events.js';
import { onlineCpus } from './cpus.js';
import { PERF_TYPE_TRACEPOINT, type ResolvedEvent } from './resolved-event.js';

let grammar: FilterGrammar | undefined;

/**
 * The tracepoint the grammar is asked on: sched:sched_switch, which has no field named like a
 * special field (one would shadow it), else the filtered event itself.
 */
function probeTracepoint(event: ResolvedEvent): number {
  try {
    return readEventId(parseEventName('sched:sched_switch'));
  } catch {
    return event.format.id;
  }
}

/**
 * What this kernel's filter language supports, asked of the kernel with test filters on fresh
 * disabled perf fds. A disabled event holds the tracepoint registered meanwhile: otherwise each
 * probe's close unregisters it, which takes ~35 ms.
 */
function kernelFilterGrammar(event: ResolvedEvent): FilterGrammar {
  if (grammar !== undefined) return grammar;
  const id = BigInt(probeTracepoint(event));
  const addon = native();
  const cpus = onlineCpus().slice(0, 1);
  try {
    const events = [{ type: PERF_TYPE_TRACEPOINT, config: id }];
    const anchor = new addon.Capture({ events, cpus, targets: [-1], inherit: false, ringPages: 1 }, () => undefined);
    try {
      grammar = detectFilterGrammar((expression) => addon.testFilter(id, expression) === 0);
    } finally {
      anchor.close();
    }
  } catch (error) {
    throw kernelErrorFrom(error, "asking the kernel which filter fields it has (for the session's filters)");
  }
  return grammar;
}

/**
 * `event` with `filter` checked against its format and in the kernel's form; `event` itself
 * without a filter.
 *
 * @throws FilterError pointing at the part of the expression that is wrong.
 */
export function withFilter(event: ResolvedEvent, filter: string | undefined): ResolvedEvent {
  if (filter === undefined) return event;
  const compiled = compileFilter(filter, event.format, kernelFilterGrammar(event), event.name);
  return { ...event, filter: compiled };
}
