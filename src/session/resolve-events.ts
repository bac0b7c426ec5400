/** Resolving a session's events: tracepoints, tracefs probes (created here) and PMU kprobes. */
import { fitsKprobePmu, pmuKprobeEvent, pmuKprobeLabel } from './pmu-events.js';
import type { AnyProbeDefinition } from '../probes/definition.js';
import { checkedDefinition, ProbeSet } from '../probes/probe-set.js';
import { tracefsRoot } from '../tracefs/mount.js';
import type { ResolvedSessionOptions } from './options.js';
import { type ResolvedEvent, resolveTracepoint } from './resolved-event.js';

/** Resolves the session's events: tracepoints, tracefs probes (created now) and PMU kprobes. */
export function resolveEvents(options: ResolvedSessionOptions): { events: ResolvedEvent[]; probeSet?: ProbeSet } {
  // Every definition and uprobe target is checked before tracefs is touched: a bad one then
  // leaves nothing behind, not even a swept registry or a read of tracefs.
  const probes = options.probes.map((probe) => ({ label: probe.label, definition: checkedDefinition(probe.input) }));
  const root = tracefsRoot();
  const events = options.events.map((name) => resolveTracepoint(name, root));
  if (probes.length === 0) return { events };
  const viaPmu: ResolvedEvent[] = [];
  const viaTracefs: { label?: string; definition: AnyProbeDefinition }[] = [];
  for (const { label, definition } of probes) {
    // The PMU takes no names, groups or symbol files: the checked definition is all it needs.
    if (options.kprobePmu && fitsKprobePmu(definition)) {
      viaPmu.push(pmuKprobeEvent(definition, label ?? pmuKprobeLabel(definition)));
    } else {
      viaTracefs.push(label === undefined ? { definition } : { label, definition });
    }
  }
  const probeSet = viaTracefs.length > 0 ? ProbeSet.create(root, viaTracefs) : undefined;
  try {
    for (const probe of probeSet?.probes ?? []) {
      events.push({ ...resolveTracepoint(`${probe.group}:${probe.event}`, root), name: probe.label });
    }
  } catch (error) {
    probeSet?.discard();
    throw error;
  }
  return probeSet ? { events: [...events, ...viaPmu], probeSet } : { events: [...events, ...viaPmu] };
}
