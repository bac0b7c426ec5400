/** The figures derived from a run's raw measurements, as the table and the JSON show them. */
import type { RunResult } from './runners/types.js';

/** One run with every derived figure. */
export interface RunFigures extends RunResult {
  produced: number;
  /** Events the reader should get: every one produced, or those its kernel filter keeps. */
  expected: number;
  /** Events per second the generator managed while traced. */
  producerRate: number;
  /** Untraced rate / traced rate of the same load (1 = no slowdown). */
  slowdown: number;
  /** expected − delivered: what never reached the consumer, whatever the tool says. */
  lostGap: number;
  /** Reader CPU seconds per million delivered events. */
  cpuPerMillion: number;
  /** Reader CPU seconds per million produced events: what a filter saves shows here. */
  cpuPerMillionProduced: number;
}

/** Adds the derived figures to a run, given the scenario's untraced producer rate. */
export function deriveFigures(run: RunResult, untracedRate: number): RunFigures {
  const produced = run.producer.produced;
  const expected = run.expected ?? produced;
  const producerRate = produced / run.producer.seconds;
  const surplus = run.delivered - expected;
  const what = run.filter === undefined ? 'than the generator made' : `than the filter keeps (${run.filter})`;
  const notes = surplus > 0 ? [...run.notes, `delivered ${surplus} more events ${what}`] : run.notes;
  return {
    ...run,
    notes,
    produced,
    expected,
    producerRate,
    slowdown: untracedRate / producerRate,
    lostGap: expected - run.delivered,
    cpuPerMillion: run.delivered > 0 ? run.readerCpuSeconds / (run.delivered / 1e6) : NaN,
    cpuPerMillionProduced: produced > 0 ? run.readerCpuSeconds / (produced / 1e6) : NaN,
  };
}
