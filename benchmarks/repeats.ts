/**
 * Combining the repeated runs of one cell (`--repeat N`): the figures shown are medians, each with
 * the range it came from, and the targets are checked on those medians; loss is the worst run's.
 */
import { type RunFigures, deriveFigures } from './figures.js';
import { median } from './measure.js';
import type { RunResult } from './runners/types.js';

/** The smallest and largest value of a figure over a cell's runs. */
export interface Range {
  min: number;
  max: number;
}

/** A cell's figures over its runs: medians (worst case for delivery), and the ranges they came from. */
export interface CombinedFigures extends RunFigures {
  /** How many runs the figures combine. */
  runCount: number;
  /** Ranges over the runs, when there was more than one. */
  ranges?: { cpuPerMillion: Range; p50Ms?: Range; p99Ms?: Range };
}

function range(values: readonly number[]): Range {
  const finite = values.filter((v) => Number.isFinite(v));
  return { min: Math.min(...finite), max: Math.max(...finite) };
}

/**
 * The figures of one cell: for one run, that run's; for several, the run with the median CPU per
 * event, its CPU and latencies replaced by their medians over all runs, and delivered and lost by
 * the worst run's (a loss in any run is a loss).
 */
export function combineRuns(runs: readonly RunResult[], untracedRate: number): CombinedFigures {
  const figures = runs.map((run) => deriveFigures(run, untracedRate));
  const byCpu = [...figures].sort((a, b) => a.cpuPerMillion - b.cpuPerMillion);
  const shown = byCpu[(byCpu.length - 1) >> 1]!;
  if (figures.length === 1) return { ...shown, runCount: 1 };
  const worst = figures.reduce((a, b) => (b.lostGap > a.lostGap ? b : a));
  const cpus = figures.map((f) => f.cpuPerMillion);
  const p50s = figures.flatMap((f) => (f.latency ? [f.latency.p50Ms] : []));
  const p99s = figures.flatMap((f) => (f.latency ? [f.latency.p99Ms] : []));
  const latency = shown.latency && { ...shown.latency, p50Ms: median(p50s), p99Ms: median(p99s) };
  return {
    ...shown,
    delivered: worst.delivered,
    lostGap: worst.lostGap,
    lostKernel: worst.lostKernel,
    cpuPerMillion: median(cpus),
    ...(latency ? { latency } : {}),
    runCount: figures.length,
    ranges: {
      cpuPerMillion: range(cpus),
      ...(p50s.length > 0 ? { p50Ms: range(p50s), p99Ms: range(p99s) } : {}),
    },
  };
}
