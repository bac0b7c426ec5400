/** The public clean-up entry point for probes left behind by dead perf-bridge processes. */
import { tracefsRoot } from '../tracefs/mount.js';
import { type SweepResult, sweepDeadOwners } from './sweep.js';

/**
 * Removes every probe whose perf-bridge owner process is no longer running (after a SIGKILL or a
 * crash): `removed` lists their `group:event` names, `failed` those the kernel kept (e.g. enabled
 * by another tracer; tried again next time). Probes of running processes and probes perf-bridge
 * did not create are never touched. Sessions also do this when they create probes.
 */
export function cleanup(): SweepResult {
  return sweepDeadOwners(tracefsRoot());
}
