/**
 * Publishing a session's events to NATS JetStream: each batch's rows of each event as one Arrow IPC
 * record batch (arrow-rows.ts) on the subject `<prefix>.<host>.<table>`, with a message id
 * (`<host>.<run start>.<seq>`) that makes a retried publish count once, and a last message on
 * `<prefix>.<host>.$run` with the run's totals. The encoding and publishing run on a worker thread
 * (publish-worker.ts) fed through a bounded queue (store/rows-worker.ts): rows that do not fit, or
 * that the cluster did not acknowledge within `retrySeconds`, are counted lost. A slow or failed
 * cluster shows up as counted loss, not as memory growth.
 */
import type { ColumnBatch } from '../decode/columns.js';
import type { EventFormat } from '../decode/format.js';
import { RowsWorker, type RunTotals, runData } from '../store/rows-worker.js';
import { ShipError, type ShipErrorCode } from './errors.js';
import { streamSettings } from './jetstream.js';
import type { PublishWorkerData } from './publish-worker.js';
import { loadShipModules } from './ship-modules.js';

/** Options of {@link NatsPublisher.open}. */
export interface PublisherOptions {
  /** The host name the events are published under (default: os.hostname()). */
  host?: string;
  /** The stream (default `PERF_BRIDGE`), created with `replicas` (default 1) if missing. */
  stream?: string;
  replicas?: number;
  /** The subjects' first token (default `perf-bridge`). */
  prefix?: string;
  /** Bytes of rows waiting to be acknowledged before new ones are counted lost (default 256 MiB). */
  maxInFlightBytes?: number;
  /** How long a batch is retried before it is counted lost (default 60 s). */
  retrySeconds?: number;
}

/** A publisher's counters, per event (by the session's event name). */
export interface PublisherStats {
  /** Rows acknowledged by the cluster. */
  published: Record<string, number>;
  /** Rows not queued (the in-flight bound) or never acknowledged. */
  lost: Record<string, number>;
  /** Bytes of rows waiting to be acknowledged now. */
  inFlightBytes: number;
  /** Why the latest lost rows were lost, if any were. */
  lastError?: string;
}

/** The publisher's errors from a failure its worker reports. */
const shipError = (code: string, message: string, hint: string) => new ShipError(code as ShipErrorCode, message, hint);

/** Publishes a session's column batches; see the module comment. */
export class NatsPublisher {
  private constructor(private readonly rows: RowsWorker) {}

  /**
   * Connects to `servers`, creates the stream if it is missing, and readies the events of
   * `formats` (session.formats). Rejects with a ShipError when a module is missing, no server
   * answers or JetStream refuses the stream.
   */
  static async open(
    servers: string[],
    formats: ReadonlyMap<string, EventFormat>,
    options: PublisherOptions = {},
  ): Promise<NatsPublisher> {
    loadShipModules(); // fails here, with its hint, when nats or apache-arrow is missing
    const settings = streamSettings(servers, options);
    const data: PublishWorkerData = {
      ...runData(formats, options.host),
      settings,
      retryMs: (options.retrySeconds ?? 60) * 1000,
    };
    const url = new URL('./publish-worker.js', import.meta.url);
    const maxQueued = options.maxInFlightBytes ?? 256 * 1024 * 1024;
    return new NatsPublisher(await RowsWorker.start(url, data, maxQueued, shipError));
  }

  /** Publishes every row of `batch`; a column listener (session.onColumns). */
  readonly add = (batch: ColumnBatch): void => {
    this.rows.add(batch);
  };

  /** The counters so far. */
  stats(): PublisherStats {
    const rows = this.rows;
    const stats: PublisherStats = {
      published: rows.byEvent(rows.done),
      lost: rows.byEvent(rows.lost),
      inFlightBytes: rows.queuedBytes,
    };
    if (rows.lastLoss !== undefined) stats.lastError = rows.lastLoss;
    return stats;
  }

  /**
   * Waits for every batch to be acknowledged (or counted lost), publishes the run's end with
   * `totals`, and closes the connection. Call it after the session's close().
   */
  close(totals: RunTotals): Promise<void> {
    return this.rows.close(totals);
  }
}
