/**
 * Storing a session's events in a DuckDB database: one table per event (table-schema.ts), rows
 * appended by a worker thread that owns the database (store-worker.ts), and one row per event and
 * run in `perf_bridge_runs`. The rows reach the worker through a bounded queue (rows-worker.ts):
 * what does not fit is counted as `lostStore`, in stats() and in the runs table.
 */
import type { ColumnBatch } from '../decode/columns.js';
import type { EventFormat } from '../decode/format.js';
import { StoreError, type StoreErrorCode } from './errors.js';
import { RowsWorker, type RunTotals, runData } from './rows-worker.js';
import type { StoreWorkerData } from './store-worker.js';

export type { RunTotals } from './rows-worker.js';

/** Options of {@link EventStore.open}. */
export interface StoreOptions {
  /**
   * Bytes of copied rows that may wait for the worker (default 256 MiB: about 9 M rows of a
   * syscall tracepoint); beyond it, rows are counted as lost.
   */
  maxQueuedBytes?: number;
}

/** Counters of a store, per event (by the session's event name). */
export interface StoreStats {
  /** This run's id in `perf_bridge_runs` and in every table's `run` column. */
  run: number;
  /** Rows the database has taken. */
  stored: Record<string, number>;
  /** Rows the store could not take (the worker was too far behind): never stored. */
  lostStore: Record<string, number>;
  /** Bytes of rows waiting for the worker now. */
  queuedBytes: number;
}

const DEFAULT_MAX_QUEUED_BYTES = 256 * 1024 * 1024;

/** The store's errors from a failure its worker reports. */
const storeError = (code: string, message: string, hint: string) =>
  new StoreError(code as StoreErrorCode, message, hint);

/** A session's events going into a DuckDB database; see the module comment. */
export class EventStore {
  private constructor(private readonly rows: RowsWorker) {}

  /**
   * Opens (or creates) the database at `path` for the events of `formats` (session.formats):
   * creates their tables, or checks that the tables there have the events' columns, and adds this
   * run's rows to `perf_bridge_runs`. Rejects with a {@link StoreError} (DuckDB missing, the file
   * held by another process, a table with other columns).
   */
  static async open(
    path: string,
    formats: ReadonlyMap<string, EventFormat>,
    options: StoreOptions = {},
  ): Promise<EventStore> {
    const data: StoreWorkerData = { ...runData(formats), path };
    const maxQueued = options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES;
    const url = new URL('./store-worker.js', import.meta.url);
    return new EventStore(await RowsWorker.start(url, data, maxQueued, storeError));
  }

  /** This run's id. */
  get run(): number {
    return this.rows.run;
  }

  /** Queues every row of `batch` for the database; a column listener (session.onColumns). */
  readonly add = (batch: ColumnBatch): void => {
    this.rows.add(batch);
  };

  /** The counters so far (per event, by the session's event name). */
  stats(): StoreStats {
    const rows = this.rows;
    return {
      run: rows.run,
      stored: rows.byEvent(rows.done),
      lostStore: rows.byEvent(rows.lost),
      queuedBytes: rows.queuedBytes,
    };
  }

  /**
   * Waits for the queued rows to be stored, records the run's totals in `perf_bridge_runs`, and
   * closes the database. Call it after the session's close() (whose final drain adds the last
   * batch). Rejects with the store's failure, if it failed.
   */
  close(totals: RunTotals): Promise<void> {
    return this.rows.close(totals);
  }
}
