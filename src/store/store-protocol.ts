/**
 * The messages between a DuckDB store (duckdb-store.ts, on the capture's thread) and its worker
 * (store-worker.ts), which owns the database so that appending never delays a drain.
 */
import type { PackedRows } from './packed-batch.js';
import type { EventTable } from './table-schema.js';

/** What the worker starts with (its `workerData`). */
export interface StoreWorkerData {
  /** The database file (created if missing). */
  path: string;
  tables: EventTable[];
  host: string;
  kernel: string;
  /** Wall-clock µs since the epoch at the start. */
  startedUs: number;
  /** Wall-clock µs minus CLOCK_MONOTONIC µs: `wall` = ⌊time / 1000⌋ + this. */
  clockOffsetUs: number;
}

/** The counts the runs table gets at the end, per event in the tables' order. */
export interface RunCounts {
  kind: 'end';
  endedUs: number;
  delivered: number[];
  lostStore: number[];
  lostKernel: number;
}

/** Main thread → worker. */
export type ToStoreWorker = PackedRows | RunCounts;

/** Worker → main thread. */
export type FromStoreWorker =
  /** Tables ready; `run` is this run's id. */
  | { kind: 'ready'; run: number }
  /** Rows of one PackedRows appended; its buffer comes back for reuse. */
  | { kind: 'stored'; table: number; rows: number; buffer: ArrayBuffer }
  /** The run's row is complete and the database closed. */
  | { kind: 'closed'; stored: number[] }
  /** The store failed; nothing more will be stored. */
  | { kind: 'failed'; message: string; code: string; hint: string };
