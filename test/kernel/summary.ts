/**
 * Reading the outcome of a `node --test` run from its TAP report.
 */

/** Counts node's test runner reports at the end of a run. */
export interface TestCounts {
  tests: number;
  pass: number;
  fail: number;
  /** Tests stopped by a timeout (including a whole file running out of time). */
  cancelled: number;
  skipped: number;
  todo: number;
}

const KEYS = ['tests', 'pass', 'fail', 'cancelled', 'skipped', 'todo'] as const;

/**
 * Extracts the final counts from node's TAP reporter output, or undefined if
 * the report is incomplete (the run was cut short). Only unindented comment
 * lines count: nested subtests report with indentation.
 */
export function parseTapSummary(tap: string): TestCounts | undefined {
  const found: Partial<Record<(typeof KEYS)[number], number>> = {};
  for (const line of tap.split('\n')) {
    const m = /^# (tests|pass|fail|cancelled|skipped|todo) (\d+)$/.exec(line);
    if (m) found[m[1] as (typeof KEYS)[number]] = Number(m[2]);
  }
  if (!KEYS.every((k) => found[k] !== undefined)) return undefined;
  return found as TestCounts;
}

/** Tests that did not succeed: failures plus timeouts. */
export function failedCount(c: TestCounts): number {
  return c.fail + c.cancelled;
}
