/**
 * The messages between the capture's thread and a worker that takes rows from it: the store's
 * (store-worker.ts, into DuckDB) and the publisher's (ship/publish-worker.ts, to JetStream). See
 * rows-worker.ts for the capture's side.
 */
import type { PackedRows } from './packed-batch.js';
import type { EventTable } from './table-schema.js';

/** Where a run comes from, as every rows worker gets it in its `workerData`. */
export interface RunData {
  tables: EventTable[];
  host: string;
  kernel: string;
  /** Wall-clock µs since the epoch at the start. */
  startedUs: number;
  /** Wall-clock µs minus CLOCK_MONOTONIC µs: `wall` = ⌊time / 1000⌋ + this. */
  clockOffsetUs: number;
}

/** The run's totals the worker gets at the end, per event in the tables' order. */
export interface RunCounts {
  kind: 'end';
  endedUs: number;
  delivered: number[];
  /** Rows the capture's side did not queue (the queue was full). */
  lostQueued: number[];
  lostKernel: number;
}

/** Capture's thread → worker. */
export type ToRowsWorker = PackedRows | RunCounts;

/** Worker → capture's thread. */
export type FromRowsWorker =
  /** Ready; `run`: the run's id, where the worker gives one (the store's database). */
  | { kind: 'ready'; run: number }
  /** Rows of one PackedRows taken (`lost`: given up on); its buffer comes back for reuse. */
  | { kind: 'done'; table: number; rows: number; lost: boolean; error?: string; buffer: SharedArrayBuffer }
  /** The run ended and the worker closed what it held. */
  | { kind: 'closed' }
  /** The worker failed; nothing more will be taken. */
  | { kind: 'failed'; message: string; code: string; hint: string };
