/** The figures derived from a run's raw measurements, as the table and the JSON show them. */
import type { RunResult } from './runners/types.js';

/** One run with every derived figure. */
export interface RunFigures extends RunResult {
  produced: number;
  /** Events per second the generator managed while traced. */
  producerRate: number;
  /** Untraced rate / traced rate of the same load (1 = no slowdown). */
  slowdown: number;
  /** produced − delivered: what never reached the consumer, whatever the tool says. */
  lostGap: number;
  /** Reader CPU seconds per million delivered events. */
  cpuPerMillion: number;
}

/** Adds the derived figures to a run, given the scenario's untraced producer rate. */
export function deriveFigures(run: RunResult, untracedRate: number): RunFigures {
  const produced = run.producer.produced;
  const producerRate = produced / run.producer.seconds;
  const notes =
    run.delivered > produced
      ? [...run.notes, `delivered ${run.delivered - produced} more events than the generator made`]
      : run.notes;
  return {
    ...run,
    notes,
    produced,
    producerRate,
    slowdown: untracedRate / producerRate,
    lostGap: produced - run.delivered,
    cpuPerMillion: run.delivered > 0 ? run.readerCpuSeconds / (run.delivered / 1e6) : NaN,
  };
}
