/**
 * Publishing a session's events to NATS JetStream: each batch's rows of each event as one Arrow IPC
 * record batch (arrow-rows.ts) on the subject `<prefix>.<host>.<table>`, with a message id
 * (`<host>.<run start>.<seq>`) that makes a retried publish count once, and a last message on
 * `<prefix>.<host>.$run` with the run's totals.
 *
 * Publishes are acknowledged asynchronously; the bytes waiting for an acknowledgement are bounded
 * (`maxInFlightBytes`). A batch that would pass the bound is not sent but counted as lost, and so
 * is one the cluster did not acknowledge within `retrySeconds` of retries: a slow or failed
 * cluster shows up as counted loss, not as memory growth.
 */
import { hostname, release } from 'node:os';

import type { JetStreamClient, NatsConnection } from 'nats';

import type { ColumnBatch } from '../decode/columns.js';
import type { EventFormat } from '../decode/format.js';
import { packRows, packedBytes } from '../store/packed-batch.js';
import { type EventTable, eventTable, tableNames } from '../store/table-schema.js';
import { type BatchOrigin, encodeRows } from './arrow-rows.js';
import { DEFAULT_STREAM, type StreamSettings, connectNats, ensureStream, subjectToken } from './jetstream.js';
import { type ShipModules, loadShipModules } from './ship-modules.js';

/** Options of {@link NatsPublisher.open}. */
export interface PublisherOptions extends Partial<Omit<StreamSettings, 'servers'>> {
  /** The host name the events are published under (default: os.hostname()). */
  host?: string;
  /** Bytes of batches waiting for an acknowledgement before new ones are counted lost (default 64 MiB). */
  maxInFlightBytes?: number;
  /** How long a batch is retried before it is counted lost (default 60 s). */
  retrySeconds?: number;
}

/** A publisher's counters, per event (by the session's event name). */
export interface PublisherStats {
  /** Rows acknowledged by the cluster. */
  published: Record<string, number>;
  /** Rows not sent (the in-flight bound) or never acknowledged. */
  lost: Record<string, number>;
  /** Bytes waiting for an acknowledgement now. */
  inFlightBytes: number;
  /** Why the latest lost batch was lost, if any was. */
  lastError?: string;
}

/** The run's end, as the collector reads it from `<prefix>.<host>.$run`. */
export interface RunEnd {
  origin: Omit<BatchOrigin, 'seq'>;
  endedUs: number;
  lostKernel: number;
  events: { event: string; table: string; delivered: number; published: number; lost: number }[];
}

/** The subject token of run-end messages (a table name never starts with `$`). */
export const RUN_END_TOKEN = '$run';

/** Wall-clock µs and CLOCK_MONOTONIC µs now. */
function clocks(): { wall: number; monotonic: number } {
  const monotonic = Number(process.hrtime.bigint() / 1000n);
  return { wall: Math.round((performance.timeOrigin + performance.now()) * 1000), monotonic };
}

const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms);
  });

/** Publishes a session's column batches; see the module comment. */
export class NatsPublisher {
  private readonly published: number[];
  private readonly lost: number[];
  private readonly tableIndex: Map<string, number>;
  private readonly subjects: string[];
  private scratch = new ArrayBuffer(1 << 20);
  private seq = 0;
  private inFlightBytes = 0;
  private readonly pending = new Set<Promise<void>>();
  private lastError: string | undefined;
  private closed = false;

  private constructor(
    private readonly modules: ShipModules,
    private readonly connection: NatsConnection,
    private readonly jetstream: JetStreamClient,
    private readonly tables: readonly EventTable[],
    private readonly origin: Omit<BatchOrigin, 'seq'>,
    private readonly settings: StreamSettings,
    private readonly limits: { maxInFlightBytes: number; retryMs: number },
  ) {
    this.published = tables.map(() => 0);
    this.lost = tables.map(() => 0);
    this.tableIndex = new Map(tables.map((table, i) => [table.event, i]));
    const host = subjectToken(origin.host);
    this.subjects = tables.map((table) => `${settings.prefix}.${host}.${table.table}`);
  }

  /**
   * Connects to `servers`, creates the stream if it is missing, and readies the events of
   * `formats` (session.formats). Rejects with a ShipError when no server answers or JetStream
   * refuses the stream.
   */
  static async open(
    servers: string[],
    formats: ReadonlyMap<string, EventFormat>,
    options: PublisherOptions = {},
  ): Promise<NatsPublisher> {
    const modules = loadShipModules();
    const settings: StreamSettings = { ...DEFAULT_STREAM, ...definedOnly(options), servers };
    const host = options.host ?? hostname();
    const connection = await connectNats(modules, servers, `perf-bridge publisher ${host}`);
    try {
      await ensureStream(connection, settings);
    } catch (error) {
      await connection.close();
      throw error;
    }
    const events = [...formats.keys()];
    const names = tableNames(events);
    const tables = events.map((event, i) => eventTable(event, names[i]!, formats.get(event)!));
    const { wall, monotonic } = clocks();
    const origin = { host, kernel: release(), startedUs: wall, clockOffsetUs: wall - monotonic };
    const limits = {
      maxInFlightBytes: options.maxInFlightBytes ?? 64 * 1024 * 1024,
      retryMs: (options.retrySeconds ?? 60) * 1000,
    };
    return new NatsPublisher(modules, connection, connection.jetstream(), tables, origin, settings, limits);
  }

  /** Publishes every row of `batch`; a column listener (session.onColumns). */
  readonly add = (batch: ColumnBatch): void => {
    if (this.closed) return;
    for (const [event, columns] of batch.events) {
      const index = this.tableIndex.get(event);
      if (index === undefined || columns.length === 0) continue;
      const table = this.tables[index]!;
      const needed = packedBytes(table, columns);
      if (needed > this.scratch.byteLength) this.scratch = new ArrayBuffer(needed * 2);
      const packed = packRows(table, index, columns, this.scratch);
      const bytes = encodeRows(this.modules.arrow, table, packed, { ...this.origin, seq: ++this.seq });
      if (this.inFlightBytes + bytes.length > this.limits.maxInFlightBytes) {
        this.lost[index]! += columns.length;
        this.lastError = `more than ${this.limits.maxInFlightBytes} bytes waited for the cluster's acknowledgement`;
        continue;
      }
      this.send(index, columns.length, bytes, this.seq);
    }
  };

  /** Publishes one message, retrying until acknowledged or out of time; counts the outcome. */
  private send(index: number, rows: number, bytes: Uint8Array, seq: number): void {
    this.inFlightBytes += bytes.length;
    const msgID = `${subjectToken(this.origin.host)}.${this.origin.startedUs}.${seq}`;
    const sending = this.publishWithRetry(this.subjects[index]!, bytes, msgID).then(
      () => {
        this.published[index]! += rows;
      },
      (error: unknown) => {
        this.lost[index]! += rows;
        this.lastError = (error as Error).message;
      },
    );
    const tracked = sending.finally(() => {
      this.inFlightBytes -= bytes.length;
      this.pending.delete(tracked);
    });
    this.pending.add(tracked);
  }

  private async publishWithRetry(subject: string, bytes: Uint8Array, msgID: string): Promise<void> {
    const deadline = Date.now() + this.limits.retryMs;
    for (;;) {
      try {
        await this.jetstream.publish(subject, bytes, { msgID, timeout: 5000 });
        return;
      } catch (error) {
        if (Date.now() >= deadline) throw error;
        await sleep(250);
      }
    }
  }

  /** The counters so far. */
  stats(): PublisherStats {
    const byEvent = (counts: number[]) => Object.fromEntries(this.tables.map((table, i) => [table.event, counts[i]!]));
    const stats: PublisherStats = {
      published: byEvent(this.published),
      lost: byEvent(this.lost),
      inFlightBytes: this.inFlightBytes,
    };
    if (this.lastError !== undefined) stats.lastError = this.lastError;
    return stats;
  }

  /**
   * Waits for every batch to be acknowledged (or counted lost), publishes the run's end with
   * `totals`, and closes the connection. Call it after the session's close().
   */
  async close(totals: { delivered: Record<string, number>; lostKernel: number }): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.pending.size > 0) await Promise.all(this.pending);
    const end: RunEnd = {
      origin: this.origin,
      endedUs: clocks().wall,
      lostKernel: totals.lostKernel,
      events: this.tables.map((table, i) => ({
        event: table.event,
        table: table.table,
        delivered: totals.delivered[table.event] ?? 0,
        published: this.published[i]!,
        lost: this.lost[i]!,
      })),
    };
    const subject = `${this.settings.prefix}.${subjectToken(this.origin.host)}.${RUN_END_TOKEN}`;
    const msgID = `${subjectToken(this.origin.host)}.${this.origin.startedUs}.end`;
    try {
      await this.publishWithRetry(subject, new TextEncoder().encode(JSON.stringify(end)), msgID);
    } finally {
      await this.connection.drain();
    }
  }
}

/** `options` without its undefined values (so that they do not override defaults when spread). */
function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}
