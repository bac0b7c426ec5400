/** Removing the probes of perf-bridge processes that died without cleaning up (e.g. SIGKILL). */
import { removeIfOurs } from './claims.js';
import {
  liveOwnerOf,
  type OwnedProbe,
  type RegistryScan,
  rewriteDeadRecord,
  scanRegistry,
  type SkippedRecord,
} from './ownership.js';
import { withProbeLock } from './probe-lock.js';
import { registryDir } from './registry-dir.js';

/** What a sweep did. */
export interface SweepResult {
  /** Probes removed, as `group:event`. */
  removed: string[];
  /** Probes that stay (e.g. EBUSY: another tracer has them enabled); their records are kept for the next sweep. */
  failed: { probe: string; error: unknown }[];
  /** Recorded probes whose event now has probe points perf-bridge did not write: left alone, record dropped. */
  shared: string[];
  /** Record files that are not exactly what perf-bridge writes (torn, foreign, planted): ignored, left as they are. */
  skipped: SkippedRecord[];
}

/**
 * Removes the probes listed in the records of owners that are no longer running. Only records
 * count — not group names — so probes of live processes, of processes in other pid namespaces,
 * and of anyone else are never touched; and a recorded probe is removed only while its event is
 * exactly the line its owner recorded. Nothing is thrown for a probe: what cannot be removed is
 * reported, and its owner's record kept so a later sweep tries again.
 */
export function sweepDeadOwners(root: string): SweepResult {
  const dir = registryDir();
  return withProbeLock(root, () => sweepDead(root, scanRegistry(dir)));
}

/**
 * The sweep itself, over a registry `scan` taken while holding the probe lock (which the caller
 * still holds): probe creation runs it first, under the same lock and with the same scan.
 */
export function sweepDead(root: string, scan: RegistryScan): SweepResult {
  const result: SweepResult = { removed: [], failed: [], shared: [], skipped: scan.skipped };
  for (const { name, record } of scan.dead) {
    const left: OwnedProbe[] = [];
    for (const probe of record.probes) {
      // A live owner claims the name again (a user-named group, or a reused pid): it is theirs now.
      if (liveOwnerOf(scan, probe.group, probe.event) !== undefined) continue;
      const outcome = removeIfOurs(root, probe, 'remove stale probe');
      const label = `${probe.group}:${probe.event}`;
      if (outcome.status === 'removed') result.removed.push(label);
      else if (outcome.status === 'shared') result.shared.push(label);
      else if (outcome.status === 'failed') {
        left.push(probe);
        result.failed.push({ probe: label, error: outcome.error });
      }
    }
    rewriteDeadRecord(scan, name, record, left);
  }
  return result;
}
