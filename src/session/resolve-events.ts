/** Resolving a session's events: tracepoints, tracefs probes (created here) and PMU kprobes. */
import { fitsKprobePmu, pmuKprobeEvent, pmuKprobeLabel } from '../probes/pmu.js';
import { parse } from '../probes/parse.js';
import { type ProbeInput, ProbeSet } from '../probes/probe-set.js';
import { validate } from '../probes/validate.js';
import { sweepDeadOwners } from '../probes/sweep.js';
import { tracefsRoot } from '../tracefs/mount.js';
import type { ResolvedSessionOptions } from './options.js';
import { type ResolvedEvent, resolveTracepoint } from './resolved-event.js';

/** Resolves the session's events: tracepoints, tracefs probes (created now) and PMU kprobes. */
export function resolveEvents(options: ResolvedSessionOptions): { events: ResolvedEvent[]; probeSet?: ProbeSet } {
  const root = tracefsRoot();
  const events = options.events.map((name) => resolveTracepoint(name, root));
  if (options.probes.length === 0) return { events };
  // Probes left by perf-bridge processes that died (SIGKILL, crash) are removed first (a registry
  // read, cheap). What the kernel will not let go of yet never fails this session; the next tries again.
  sweepDeadOwners(root);
  const viaPmu: ResolvedEvent[] = [];
  const viaTracefs: { label?: string; input: ProbeInput }[] = [];
  for (const probe of options.probes) {
    // The PMU takes no names, groups or symbol files: parsing (which validates) is all it needs.
    const def = options.kprobePmu ? (typeof probe.input === 'string' ? parse(probe.input) : validate(probe.input)) : undefined;
    if (def && fitsKprobePmu(def)) {
      viaPmu.push(pmuKprobeEvent(def, probe.label ?? pmuKprobeLabel(def)));
    } else {
      viaTracefs.push(probe);
    }
  }
  const probeSet = viaTracefs.length > 0 ? ProbeSet.create(root, viaTracefs) : undefined;
  try {
    for (const probe of probeSet?.probes ?? []) {
      events.push({ ...resolveTracepoint(`${probe.group}:${probe.event}`, root), name: probe.label });
    }
  } catch (error) {
    probeSet?.remove();
    throw error;
  }
  return { events: [...events, ...viaPmu], probeSet };
}

