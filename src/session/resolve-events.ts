/** Resolving a session's events: tracepoints, tracefs probes (created here) and PMU kprobes. */
import { fitsKprobePmu, pmuKprobeEvent, pmuKprobeLabel } from './pmu-events.js';
import type { AnyProbeDefinition } from '../probes/definition.js';
import { checkedDefinition, ProbeSet } from '../probes/probe-set.js';
import { OptionError, quoteInput } from '../errors.js';
import { expandEventNames } from '../tracefs/event-globs.js';
import { tracefsRoot } from '../tracefs/mount.js';
import { withFilter } from './event-filters.js';
import type { ResolvedSessionOptions } from './options.js';
import { type ResolvedEvent, resolveTracepoint } from './resolved-event.js';
import type { ResolvedStack } from './stack-option.js';

/** Resolves the session's events: tracepoints, tracefs probes (created now) and PMU kprobes. */
export function resolveEvents(options: ResolvedSessionOptions): { events: ResolvedEvent[]; probeSet?: ProbeSet } {
  // Every definition and uprobe target is checked before tracefs is touched: a bad one then
  // leaves nothing behind, not even a swept registry or a read of tracefs.
  // A library name resolves to the file the traced processes mapped, when there are any.
  const check = { pids: options.pids };
  const probes = options.probes.map(({ label, input }) => ({ label, definition: checkedDefinition(input, check) }));
  const root = tracefsRoot();
  const events = resolveListedEvents(options.events, root, options.stack);
  if (probes.length === 0) return { events };
  const viaPmu: ResolvedEvent[] = [];
  const viaTracefs: { label?: string; definition: AnyProbeDefinition }[] = [];
  for (const { label, definition } of probes) {
    // The PMU takes no names, groups or symbol files: the checked definition is all it needs.
    // A filter needs the probe's format, which only a tracefs probe has.
    if (options.kprobePmu && fitsKprobePmu(definition) && definition.filterExpression === undefined) {
      viaPmu.push(withStack(pmuKprobeEvent(definition, label ?? pmuKprobeLabel(definition)), options.stack));
    } else {
      viaTracefs.push(label === undefined ? { definition } : { label, definition });
    }
  }
  const probeSet = viaTracefs.length > 0 ? ProbeSet.create(root, viaTracefs) : undefined;
  try {
    for (const probe of probeSet?.probes ?? []) {
      const event = { ...resolveTracepoint(`${probe.group}:${probe.event}`, root), name: probe.label };
      events.push(withStack(withFilter(event, probe.definition.filterExpression), options.stack));
    }
  } catch (error) {
    probeSet?.discard();
    throw error;
  }
  return probeSet ? { events: [...events, ...viaPmu], probeSet } : { events: [...events, ...viaPmu] };
}

/**
 * The `events` option resolved: globs expanded (a filter given with a glob applies to every event
 * it matches), each event's format read and its filter checked against it. Nothing is opened yet.
 */
function resolveListedEvents(
  listed: ResolvedSessionOptions['events'],
  root: string,
  sessionStack: ResolvedStack | undefined,
): ResolvedEvent[] {
  const events: ResolvedEvent[] = [];
  const seen = new Set<string>();
  for (const { name: pattern, filter, stack } of listed) {
    for (const name of expandEventNames([pattern], root)) {
      const event = resolveTracepoint(name, root);
      if (seen.has(event.name)) refuseTwice(event.name, pattern);
      seen.add(event.name);
      events.push(withStack(withFilter(event, filter), stack ?? sessionStack));
    }
  }
  return events;
}

/** `event` with its call stacks captured as `stack` says (none when undefined). */
function withStack(event: ResolvedEvent, stack: ResolvedStack | undefined): ResolvedEvent {
  return stack === undefined ? event : { ...event, stack };
}

/** Refuses an event that two entries of `events` name (one of them through a glob). */
function refuseTwice(name: string, pattern: string): never {
  const through = pattern === name ? '' : ` (again through ${quoteInput(pattern)})`;
  throw new OptionError(`event ${quoteInput(name)} is listed twice${through}`, {
    option: 'events',
    hint: 'list each event once: with two filters for one event, join them with || in one filter',
  });
}
