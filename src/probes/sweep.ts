/** Removing the probes of perf-bridge processes that died without cleaning up (e.g. SIGKILL). */
import { rmSync } from 'node:fs';

import { KernelError } from '../errors.js';
import { type ProbeEventsFile, listProbes, writeProbeCommand } from '../tracefs/probe-files.js';
import { deadOwnerRecords, isOwnerAlive, ownerPidOfGroup } from './ownership.js';

const FILES: ProbeEventsFile[] = ['kprobe_events', 'uprobe_events', 'dynamic_events'];

function removeProbe(root: string, file: ProbeEventsFile, group: string, event: string, removed: string[]): void {
  try {
    writeProbeCommand(root, file, `-:${group}/${event}`, `remove stale probe ${group}/${event}`);
    removed.push(`${group}:${event}`);
  } catch (error) {
    if (!(error instanceof KernelError && error.code === 'ENOENT')) throw error;
  }
}

/**
 * Removes probes whose owner process is dead: those in `perfbridge_<pid>_<n>` groups of dead pids,
 * and those listed in dead owners' registry files (user-named groups). Returns `group:event` of
 * each removed probe. Probes of live processes and of anyone else are never touched.
 */
export function sweepDeadOwners(root: string): string[] {
  const removed: string[] = [];
  for (const record of deadOwnerRecords()) {
    const existing = new Set(FILES.flatMap((file) => listProbes(root, file)).map((p) => `${p.group}/${p.event}`));
    for (const probe of record.probes) {
      if (existing.has(`${probe.group}/${probe.event}`)) removeProbe(root, probe.file, probe.group, probe.event, removed);
    }
    rmSync(record.path, { force: true });
  }
  // dynamic_events lists every kind again (fprobes only there): visit each group/event once.
  const seen = new Set<string>();
  for (const probe of FILES.flatMap((file) => listProbes(root, file))) {
    const key = `${probe.group}/${probe.event}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const pid = ownerPidOfGroup(probe.group);
    if (pid !== undefined && !isOwnerAlive(pid)) removeProbe(root, probe.file, probe.group, probe.event, removed);
  }
  return removed;
}
