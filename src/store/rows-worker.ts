/**
 * The capture's side of a worker that takes rows (rows-protocol.ts): `add()` copies each batch's
 * rows per event into a buffer from a bounded pool and posts it, since the session reuses its
 * column memory for the next batch; the worker sends each buffer back when it is done with it.
 * When more than `maxQueuedBytes` wait, rows are not queued but counted lost: a slow destination
 * shows up as counted loss, not as memory growth.
 */
import { hostname, release } from 'node:os';
import { Worker } from 'node:worker_threads';

import type { ColumnBatch } from '../decode/columns.js';
import type { EventFormat } from '../decode/format.js';
import { PerfBridgeError } from '../errors.js';
import { packRows, packedBytes } from './packed-batch.js';
import type { FromRowsWorker, RunCounts, RunData } from './rows-protocol.js';
import { type EventTable, eventTable, tableNames } from './table-schema.js';

/** The smallest buffer the pool makes (a 256 KiB drain's rows of one event fit). */
const MIN_BUFFER_BYTES = 256 * 1024;

/** How a worker's failure reaches the caller: the error class of its module. */
export type FailureError = (code: string, message: string, hint: string) => PerfBridgeError;

/** The run's totals for the worker's last message. */
export interface RunTotals {
  /** Events delivered, by event name (SessionStats.events[name].delivered). */
  delivered: Record<string, number>;
  /** Records the kernel dropped in this run (SessionStats.lost.total). */
  lostKernel: number;
}

/** Wall-clock µs (to the µs: performance.now, not Date.now's ms) and CLOCK_MONOTONIC µs now. */
function clocks(): { wall: number; monotonic: number } {
  const monotonic = Number(process.hrtime.bigint() / 1000n);
  return { wall: Math.round((performance.timeOrigin + performance.now()) * 1000), monotonic };
}

/** The run data of a session's events (`formats`: session.formats) on this host, or as `host`. */
export function runData(formats: ReadonlyMap<string, EventFormat>, host = hostname()): RunData {
  const events = [...formats.keys()];
  const names = tableNames(events);
  const { wall, monotonic } = clocks();
  return {
    tables: events.map((event, i) => eventTable(event, names[i]!, formats.get(event)!)),
    host,
    kernel: release(),
    startedUs: wall,
    clockOffsetUs: wall - monotonic,
  };
}

/** A worker taking a session's rows; see the module comment. */
export class RowsWorker {
  /** Rows the worker took, per table. */
  readonly done: number[];
  /** Rows not queued or given up on, per table. */
  readonly lost: number[];
  /** Rows the capture's side did not queue, per table (part of `lost`). */
  private readonly lostQueued: number[];
  /** Why the latest rows were lost, if any were. */
  lastLoss: string | undefined;
  private readonly free: SharedArrayBuffer[] = [];
  private queued = 0;
  private failure: PerfBridgeError | undefined;
  private closing: Promise<void> | undefined;
  private settleClose: { resolve: () => void; reject: (error: unknown) => void } | undefined;
  private readonly tableIndex: Map<string, number>;

  private constructor(
    private readonly worker: Worker,
    readonly tables: readonly EventTable[],
    /** The run's id the worker gave (0: none). */
    readonly run: number,
    private readonly maxQueuedBytes: number,
    private readonly failed: FailureError,
  ) {
    this.done = tables.map(() => 0);
    this.lost = tables.map(() => 0);
    this.lostQueued = tables.map(() => 0);
    this.tableIndex = new Map(tables.map((table, i) => [table.event, i]));
    worker.on('message', (message: FromRowsWorker) => {
      this.onMessage(message);
    });
    worker.on('error', (error) => {
      this.fail(failed('WORKER_FAILED', `the worker failed: ${error.message}`, 'the rows taken before are kept'));
    });
  }

  /** Starts the worker at `url` with `data` and waits until it is ready (or rejects with its failure). */
  static async start(url: URL, data: RunData, maxQueuedBytes: number, failed: FailureError): Promise<RowsWorker> {
    const worker = new Worker(url, { workerData: data });
    const first = await new Promise<FromRowsWorker>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    if (first.kind !== 'ready') {
      await worker.terminate();
      throw first.kind === 'failed'
        ? failed(first.code, first.message, first.hint)
        : failed('WORKER_FAILED', `the worker said ${first.kind} first`, 'report this as a bug');
    }
    return new RowsWorker(worker, data.tables, first.run, maxQueuedBytes, failed);
  }

  /** Bytes of rows waiting for the worker now. */
  get queuedBytes(): number {
    return this.queued;
  }

  /** Queues every row of `batch`; a column listener (session.onColumns). */
  readonly add = (batch: ColumnBatch): void => {
    if (this.closing !== undefined) return;
    for (const [event, columns] of batch.events) {
      const index = this.tableIndex.get(event);
      if (index === undefined || columns.length === 0) continue;
      const table = this.tables[index]!;
      const buffer = this.failure === undefined ? this.take(packedBytes(table, columns)) : undefined;
      if (buffer === undefined) {
        this.lost[index]! += columns.length;
        this.lostQueued[index]! += columns.length;
        this.lastLoss = this.failure?.message ?? `more than ${this.maxQueuedBytes} bytes of rows waited`;
        continue;
      }
      this.worker.postMessage(packRows(table, index, columns, buffer));
    }
  };

  /** A buffer of at least `bytes` from the pool, or undefined when the queue is full. */
  private take(bytes: number): SharedArrayBuffer | undefined {
    const reused = this.free.findIndex((buffer) => buffer.byteLength >= bytes);
    const buffer = reused >= 0 ? this.free.splice(reused, 1)[0]! : this.fresh(Math.max(bytes, MIN_BUFFER_BYTES));
    if (buffer !== undefined) this.queued += buffer.byteLength;
    return buffer;
  }

  /** A new buffer, if the queue has room (free buffers, too small for this batch, are dropped for it). */
  private fresh(bytes: number): SharedArrayBuffer | undefined {
    const held = this.free.reduce((sum, buffer) => sum + buffer.byteLength, 0);
    if (this.queued + held + bytes > this.maxQueuedBytes) {
      if (this.queued + bytes > this.maxQueuedBytes) return undefined;
      this.free.length = 0;
    }
    return new SharedArrayBuffer(bytes);
  }

  private onMessage(message: FromRowsWorker): void {
    switch (message.kind) {
      case 'done':
        if (message.lost) {
          this.lost[message.table]! += message.rows;
          this.lastLoss = message.error;
        } else {
          this.done[message.table]! += message.rows;
        }
        this.queued -= message.buffer.byteLength;
        this.free.push(message.buffer);
        break;
      case 'closed':
        this.settleClose?.resolve();
        break;
      case 'failed':
        this.fail(this.failed(message.code, message.message, message.hint));
        break;
      case 'ready':
        break;
    }
  }

  private fail(error: PerfBridgeError): void {
    this.failure ??= error;
    this.settleClose?.reject(this.failure);
  }

  /**
   * Waits until the worker took every queued row, gives it the run's totals, and waits until it
   * closed. Call it after the session's close() (whose final drain adds the last batch). Rejects
   * with the worker's failure, if it failed.
   */
  close(totals: RunTotals): Promise<void> {
    this.closing ??= new Promise<void>((resolve, reject) => {
      this.settleClose = { resolve, reject };
      if (this.failure !== undefined) {
        reject(this.failure);
        return;
      }
      const counts: RunCounts = {
        kind: 'end',
        endedUs: clocks().wall,
        delivered: this.tables.map((table) => totals.delivered[table.event] ?? 0),
        lostQueued: this.lostQueued,
        lostKernel: totals.lostKernel,
      };
      this.worker.postMessage(counts);
    }).finally(() => void this.worker.terminate());
    return this.closing;
  }

  /** Counts per table as a record by event name. */
  byEvent(counts: readonly number[]): Record<string, number> {
    return Object.fromEntries(this.tables.map((table, i) => [table.event, counts[i]!]));
  }
}
