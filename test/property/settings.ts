/**
 * fast-check settings shared by the property tests: one fixed seed, so every run checks the same
 * cases and a failure reproduces. fast-check prints the seed and the shrunk counterexample in the
 * failure message; PERF_BRIDGE_PROPERTY_SEED explores other seeds without editing a test.
 */
import type { Parameters } from 'fast-check';

/** The seed of every property in this folder. */
export const PROPERTY_SEED = Number(process.env.PERF_BRIDGE_PROPERTY_SEED ?? 0x20261201);

/** fast-check parameters: the shared seed and `numRuns` generated cases. */
export function propertyRuns<T>(numRuns: number): Parameters<T> {
  return { seed: PROPERTY_SEED, numRuns };
}
