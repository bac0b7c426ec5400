/** The public clean-up entry point for probes left behind by dead perf-bridge processes. */
import { tracefsRoot } from '../tracefs/mount.js';
import { type SweepResult, sweepDeadOwners } from './sweep.js';

/**
 * Removes every probe whose perf-bridge owner process is no longer running (after a SIGKILL or a
 * crash): `removed` lists their `group:event` names, `failed` those the kernel kept (e.g. enabled
 * by another tracer; tried again next time), `shared` those other tools added probe points to
 * (left alone for good), `skipped` the record files that could not be trusted. Probes of running
 * processes and probes perf-bridge did not create are never touched. Sessions also do this when
 * they create probes. Throws `RegistryError` for an unsafe registry directory and
 * `ProbeLockTimeoutError` when another perf-bridge process holds the probe lock for 10 s.
 */
export function cleanup(): SweepResult {
  return sweepDeadOwners(tracefsRoot());
}
