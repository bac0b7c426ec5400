/** A publisher's last message of a run, with its totals: the collector completes the run's rows from it. */
import type { BatchOrigin } from './arrow-rows.js';

/** The run's end, as the collector reads it from `<prefix>.<host>.$run`. */
export interface RunEnd {
  origin: Omit<BatchOrigin, 'seq'>;
  endedUs: number;
  lostKernel: number;
  events: { event: string; table: string; delivered: number; published: number; lost: number }[];
}

/** The subject token of run-end messages (a table name never starts with `$`). */
export const RUN_END_TOKEN = '$run';
