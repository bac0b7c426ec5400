/**
 * The targets of issue 5, checked against one bench run:
 * - delivered ≥ perf record and lost ≤ perf record, in every scenario (both perf-bridge modes);
 * - no loss at all with one producer core and default ring sizes (both modes);
 * - reader CPU per event ≤ perf record's (columnar) and ≤ 2× perf record's (object);
 * - p99 latency ≤ 10 ms at default settings;
 * - decode throughput (issue 12): the getppid event ≥ 20 M/s (object) and ≥ 50 M/s (columnar), the
 *   uprobe event (a ~16-byte string and an s64) ≥ 10 M/s and ≥ 25 M/s;
 * - with a kernel filter (getppid-filter): exactly the events the filter keeps, none lost;
 * - the CLI writing JSON lines to a file (issue 11): delivered ≥ perf record.
 * Loss is compared as produced − delivered, which no tool can under-report. perf has been seen to
 * report one sample more than the generator made; counts are capped at `produced` so such an
 * artefact cannot fail a comparison (the run still carries a note).
 */
import type { DecodeFigure } from './decode-micro.js';
import type { RunFigures } from './figures.js';
import type { RunnerId } from './runners/types.js';
import { GETPPID_TRACEPOINT, UPROBE_LABEL } from './scenarios.js';

/** One target on one scenario and runner. */
export interface TargetCheck {
  /** Which target: delivered, lost, zero-loss, cpu, p99, decode, filtered (delivered = what the filter keeps). */
  target: 'delivered' | 'lost' | 'zero-loss' | 'cpu' | 'p99' | 'decode' | 'filtered';
  scenario?: string;
  runner?: RunnerId | 'decode-object' | 'decode-columnar';
  /** The event a decode target is held on. */
  event?: string;
  value: number;
  /** The bound the value is held to. */
  limit: number;
  /** `>=`, `<=` or `=`. */
  relation: '>=' | '<=' | '=';
  pass: boolean;
}

/** The most event-to-delivery latency at the 99th percentile a perf-bridge run may show. */
export const P99_LIMIT_MS = 10;
/** The uprobe scenarios' event as the decode microbenchmark names it. */
export const UPROBE_DECODE_EVENT = `uprobe ${UPROBE_LABEL}`;

/** Events per second each decoder must reach on recorded batches, per event (others: no target). */
export const DECODE_TARGETS: Readonly<Record<string, { object: number; columnar: number }>> = {
  [GETPPID_TRACEPOINT]: { object: 20e6, columnar: 50e6 },
  [UPROBE_DECODE_EVENT]: { object: 10e6, columnar: 25e6 },
};
/** Reader CPU per event relative to perf record's, per perf-bridge mode. */
export const CPU_FACTOR: Partial<Record<RunnerId, number>> = { 'pb-columnar': 1, 'pb-object': 2 };

function check(
  target: TargetCheck['target'],
  value: number,
  relation: TargetCheck['relation'],
  limit: number,
  where: Pick<TargetCheck, 'scenario' | 'runner' | 'event'>,
): TargetCheck {
  const pass = relation === '>=' ? value >= limit : relation === '<=' ? value <= limit : value === limit;
  return { target, ...where, value, limit, relation, pass };
}

/** The CLI runners, held to delivering what perf record delivers. */
const CLI_RUNNERS: ReadonlySet<RunnerId> = new Set(['cli-jsonl', 'pb-duckdb', 'pb-nats']);

/** The perf-bridge runners the targets apply to. */
const PERF_BRIDGE_RUNNERS: ReadonlySet<RunnerId> = new Set(['pb-object', 'pb-columnar', 'pb-object-filter']);

/** Every target check of one scenario's runs; those comparing with perf record need its run. */
export function scenarioTargets(runs: readonly RunFigures[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const perf = runs.find((run) => run.runner === 'perf-record');
  for (const run of runs) {
    if (CLI_RUNNERS.has(run.runner) && perf) {
      const where = { scenario: run.scenario, runner: run.runner };
      checks.push(
        check('delivered', Math.min(run.delivered, run.produced), '>=', Math.min(perf.delivered, perf.produced), where),
      );
    }
    if (!PERF_BRIDGE_RUNNERS.has(run.runner)) continue;
    const where = { scenario: run.scenario, runner: run.runner };
    if (run.filter !== undefined) {
      // Kept by the kernel: exactly the selected generator's events, no more, no fewer.
      checks.push(check('filtered', run.delivered, '=', run.expected, where));
    } else if (perf) {
      checks.push(
        check('delivered', Math.min(run.delivered, run.produced), '>=', Math.min(perf.delivered, perf.produced), where),
      );
      checks.push(check('lost', Math.max(0, run.lostGap), '<=', Math.max(0, perf.lostGap), where));
      const factor = CPU_FACTOR[run.runner]!;
      checks.push(check('cpu', run.cpuPerMillion, '<=', perf.cpuPerMillion * factor, where));
    }
    checks.push(check('zero-loss', Math.max(run.lostGap, run.lostKernel ?? 0), '<=', 0, where));
    if (run.latency) checks.push(check('p99', run.latency.p99Ms, '<=', P99_LIMIT_MS, where));
  }
  return checks;
}

/** The decode-throughput targets: one per figure whose event has a target, held to that event's. */
export function decodeTargets(figures: readonly DecodeFigure[]): TargetCheck[] {
  return figures.flatMap((figure) => {
    const targets = DECODE_TARGETS[figure.event];
    if (targets === undefined) return [];
    const where = { runner: `decode-${figure.mode}` as const, event: figure.event };
    return [check('decode', figure.eventsPerSecond, '>=', targets[figure.mode], where)];
  });
}

/** Finds the decode check of one figure (its event and mode), for the mark next to it. */
export function findDecodeCheck(
  checks: readonly TargetCheck[],
  figure: Pick<DecodeFigure, 'event' | 'mode'>,
): TargetCheck | undefined {
  return checks.find((c) => c.target === 'decode' && c.event === figure.event && c.runner === `decode-${figure.mode}`);
}

/** Finds the check of one target for one run, for the marks next to the figures. */
export function findCheck(
  checks: readonly TargetCheck[],
  target: TargetCheck['target'],
  run: Pick<RunFigures, 'scenario' | 'runner'>,
): TargetCheck | undefined {
  return checks.find((c) => c.target === target && c.scenario === run.scenario && c.runner === run.runner);
}
