/** Removing the probes of perf-bridge processes that died without cleaning up (e.g. SIGKILL). */
import { rmSync } from 'node:fs';

import { KernelError } from '../errors.js';
import { type ProbeEventsFile, listProbes, writeProbeCommand } from '../tracefs/probe-files.js';
import { deadOwnerRecords } from './ownership.js';

const FILES: ProbeEventsFile[] = ['kprobe_events', 'uprobe_events', 'dynamic_events'];

/** What a sweep did: probes removed (`group:event`) and probes it could not remove. */
export interface SweepResult {
  removed: string[];
  /** Probes that stay (e.g. EBUSY: another tracer has them enabled); their records are kept for the next sweep. */
  failed: { probe: string; error: unknown }[];
}

/**
 * Removes the probes listed in the registry records of owners that are no longer running. Only
 * registry records count — not group names — so probes of live processes, of processes in other
 * pid namespaces, and of anyone else are never touched. A probe that cannot be removed is
 * reported, not thrown, and its owner's record is kept so a later sweep tries again.
 */
export function sweepDeadOwners(root: string): SweepResult {
  const result: SweepResult = { removed: [], failed: [] };
  const dead = deadOwnerRecords();
  if (dead.length === 0) return result;
  const existing = new Set(FILES.flatMap((file) => listProbes(root, file)).map((p) => `${p.group}/${p.event}`));
  for (const record of dead) {
    let complete = true;
    for (const probe of record.probes) {
      if (!existing.has(`${probe.group}/${probe.event}`)) continue;
      try {
        writeProbeCommand(root, probe.file, `-:${probe.group}/${probe.event}`, `remove stale probe ${probe.group}/${probe.event}`);
        result.removed.push(`${probe.group}:${probe.event}`);
      } catch (error) {
        if (error instanceof KernelError && error.code === 'ENOENT') continue;
        complete = false;
        result.failed.push({ probe: `${probe.group}:${probe.event}`, error });
      }
    }
    if (complete) rmSync(record.path, { force: true });
  }
  return result;
}
