/**
 * Storing a session's events in a DuckDB database: one table per event (table-schema.ts), rows
 * appended by a worker thread that owns the database (store-worker.ts), and one row per event and
 * run in `perf_bridge_runs`.
 *
 * `add()` copies each batch's columns into a buffer from a bounded pool and posts it: the
 * session's column memory is reused by its next batch, and the worker appends in its own time.
 * When the worker falls behind by more than `maxQueuedBytes`, rows are not queued but counted as
 * `lostStore` (in stats() and in the runs table): a slow disk shows up as counted loss, not as
 * memory growth.
 */
import { hostname, release } from 'node:os';
import { Worker } from 'node:worker_threads';

import type { ColumnBatch } from '../decode/columns.js';
import type { EventFormat } from '../decode/format.js';
import { StoreError, type StoreErrorCode } from './errors.js';
import { packRows, packedBytes } from './packed-batch.js';
import type { FromStoreWorker, RunCounts, StoreWorkerData } from './store-protocol.js';
import { type EventTable, eventTable, tableNames } from './table-schema.js';

/** Options of {@link openStore}. */
export interface StoreOptions {
  /**
   * Bytes of copied rows that may wait for the worker (default 256 MiB: about 4 M rows of a
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

/** What {@link EventStore.close} records for the run. */
export interface RunTotals {
  /** Events delivered, by event name (SessionStats.events[name].delivered). */
  delivered: Record<string, number>;
  /** Records the kernel dropped in this run (SessionStats.lost.total). */
  lostKernel: number;
}

const DEFAULT_MAX_QUEUED_BYTES = 256 * 1024 * 1024;
/** The smallest buffer the pool makes: a whole batch of one event usually fits. */
const MIN_BUFFER_BYTES = 256 * 1024;

/** Wall-clock now in µs since the epoch (to the µs: performance.now, not Date.now's ms), and CLOCK_MONOTONIC now in µs. */
function clocks(): { wall: number; monotonic: number } {
  const monotonic = Number(process.hrtime.bigint() / 1000n);
  const wall = Math.round((performance.timeOrigin + performance.now()) * 1000);
  return { wall, monotonic };
}

/** A session's events going into a DuckDB database; see the module comment. */
export class EventStore {
  private readonly stored: number[];
  private readonly lost: number[];
  /** Buffers back from the worker, ready for reuse. */
  private readonly free: ArrayBuffer[] = [];
  private queuedBytes = 0;
  private failure: StoreError | undefined;
  private closing: Promise<void> | undefined;
  private resolveClosed: () => void = () => undefined;
  private rejectClosed: (error: unknown) => void = () => undefined;
  private readonly tableIndex: Map<string, number>;

  private constructor(
    private readonly worker: Worker,
    private readonly tables: readonly EventTable[],
    /** This run's id. */
    readonly run: number,
    private readonly maxQueuedBytes: number,
  ) {
    this.stored = tables.map(() => 0);
    this.lost = tables.map(() => 0);
    this.tableIndex = new Map(tables.map((table, i) => [table.event, i]));
    worker.on('message', (message: FromStoreWorker) => {
      this.onMessage(message);
    });
    worker.on('error', (error) => {
      this.fail(
        new StoreError(
          'STORE_FAILED',
          `the store's worker failed: ${error.message}`,
          'the rows stored before the failure are kept',
          error,
        ),
      );
    });
  }

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
    const events = [...formats.keys()];
    const names = tableNames(events);
    const tables = events.map((event, i) => eventTable(event, names[i]!, formats.get(event)!));
    const { wall, monotonic } = clocks();
    const workerData: StoreWorkerData = {
      path,
      tables,
      host: hostname(),
      kernel: release(),
      startedUs: wall,
      clockOffsetUs: wall - monotonic,
    };
    const worker = new Worker(new URL('./store-worker.js', import.meta.url), { workerData });
    const first = await new Promise<FromStoreWorker>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    if (first.kind !== 'ready') {
      await worker.terminate();
      throw first.kind === 'failed'
        ? new StoreError(first.code as StoreErrorCode, first.message, first.hint)
        : new StoreError('STORE_FAILED', `the store's worker said ${first.kind} first`, 'report this as a bug');
    }
    return new EventStore(worker, tables, first.run, options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES);
  }

  /** The tables this store writes, in order. */
  get eventTables(): readonly EventTable[] {
    return this.tables;
  }

  /** Queues every row of `batch` for the database; a column listener (session.onColumns). */
  readonly add = (batch: ColumnBatch): void => {
    if (this.closing !== undefined) return;
    for (const [event, columns] of batch.events) {
      const index = this.tableIndex.get(event);
      if (index === undefined || columns.length === 0) continue;
      if (this.failure !== undefined) {
        this.lost[index]! += columns.length;
        continue;
      }
      const table = this.tables[index]!;
      const buffer = this.take(packedBytes(table, columns));
      if (buffer === undefined) {
        this.lost[index]! += columns.length;
        continue;
      }
      const packed = packRows(table, index, columns, buffer);
      this.worker.postMessage(packed, [buffer]);
    }
  };

  /** A buffer of at least `bytes` from the pool, or undefined when the queue is full. */
  private take(bytes: number): ArrayBuffer | undefined {
    const reused = this.free.findIndex((buffer) => buffer.byteLength >= bytes);
    const buffer = reused >= 0 ? this.free.splice(reused, 1)[0]! : this.fresh(Math.max(bytes, MIN_BUFFER_BYTES));
    if (buffer === undefined) return undefined;
    this.queuedBytes += buffer.byteLength;
    return buffer;
  }

  /** A new buffer, if the queue has room for it (a free buffer too small for this batch is dropped for it). */
  private fresh(bytes: number): ArrayBuffer | undefined {
    const held = this.free.reduce((sum, buffer) => sum + buffer.byteLength, 0);
    if (this.queuedBytes + held + bytes > this.maxQueuedBytes) {
      if (this.queuedBytes + bytes > this.maxQueuedBytes) return undefined;
      this.free.length = 0;
    }
    return new ArrayBuffer(bytes);
  }

  private onMessage(message: FromStoreWorker): void {
    switch (message.kind) {
      case 'stored':
        this.stored[message.table]! += message.rows;
        this.queuedBytes -= message.buffer.byteLength;
        this.free.push(message.buffer);
        break;
      case 'closed':
        this.resolveClosed();
        break;
      case 'failed':
        this.fail(new StoreError(message.code as StoreErrorCode, message.message, message.hint));
        break;
      case 'ready':
        break;
    }
  }

  private fail(error: StoreError): void {
    this.failure ??= error;
    this.rejectClosed(this.failure);
  }

  /** The counters so far (per event, by the session's event name). */
  stats(): StoreStats {
    const byEvent = (counts: number[]) => Object.fromEntries(this.tables.map((table, i) => [table.event, counts[i]!]));
    return {
      run: this.run,
      stored: byEvent(this.stored),
      lostStore: byEvent(this.lost),
      queuedBytes: this.queuedBytes,
    };
  }

  /**
   * Waits for the queued rows to be stored, records the run's totals in `perf_bridge_runs`, and
   * closes the database. Call it after the session's close() (whose final drain adds the last
   * batch). Rejects with the store's failure, if it failed.
   */
  close(totals: RunTotals): Promise<void> {
    this.closing ??= new Promise<void>((resolve, reject) => {
      this.resolveClosed = resolve;
      this.rejectClosed = reject;
      if (this.failure !== undefined) {
        reject(this.failure);
        return;
      }
      const counts: RunCounts = {
        kind: 'end',
        endedUs: clocks().wall,
        delivered: this.tables.map((table) => totals.delivered[table.event] ?? 0),
        lostStore: this.lost,
        lostKernel: totals.lostKernel,
      };
      this.worker.postMessage(counts);
    }).finally(() => void this.worker.terminate());
    return this.closing;
  }
}
