/** The public clean-up entry point for probes left behind by dead perf-bridge processes. */
import { tracefsRoot } from '../tracefs/mount.js';
import { sweepDeadOwners } from './sweep.js';

/**
 * Removes every probe whose perf-bridge owner process is no longer running (after a SIGKILL or a
 * crash) and returns their `group:event` names. Probes of running processes and probes that
 * perf-bridge did not create are never touched. Sessions also do this once when they first
 * create probes.
 */
export function cleanup(): string[] {
  return sweepDeadOwners(tracefsRoot());
}
