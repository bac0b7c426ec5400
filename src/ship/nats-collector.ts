/**
 * Collecting the events publishers ship through JetStream into a DuckDB database: a durable
 * consumer reads the stream where the collector stopped; each round of messages is stored in one
 * DuckDB transaction together with their keys (host, run, seq) in `perf_bridge_batches`, and only
 * then acknowledged. A collector killed mid-round stores nothing of it and gets it again; one killed
 * after the commit but before the acknowledgements gets messages whose keys it already holds and
 * skips them: every batch is stored exactly once.
 *
 * Tables are those of the local store with a `host` column after `run`; each publisher run (host
 * and start time) becomes a run of the database, whose rows in `perf_bridge_runs` are completed
 * from the publisher's run-end message.
 */
import type { Consumer, JsMsg, NatsConnection } from 'nats';

import { type DuckDBModules, loadDuckDB } from '../store/duckdb-module.js';
import { EventDatabase, type TableWriter } from '../store/event-database.js';
import { type EventTable, RUNS_TABLE, eventTable } from '../store/table-schema.js';
import { type BatchOrigin, decodeRows } from './arrow-rows.js';
import { type StreamSettings, streamSettings, connectNats, ensureStream } from './jetstream.js';
import { RUN_END_TOKEN, type RunEnd } from './run-end.js';
import { type ShipModules, loadShipModules } from './ship-modules.js';

/** Options of {@link collect}. */
export interface CollectorOptions extends Partial<Omit<StreamSettings, 'servers'>> {
  /** The durable consumer's name (default `perf-bridge-collector`): a restart resumes where it stopped. */
  durable?: string;
  /** Stop after this long without a message (default: never). */
  idleSeconds?: number;
  /** Stops the collector after its current round. */
  signal?: AbortSignal;
}

/** What a collector stored. */
export interface CollectorSummary {
  /** Event batches stored. */
  batches: number;
  rows: number;
  /** Batches received again and skipped (already stored before a restart). */
  duplicates: number;
  /** Publisher runs completed (their run-end message stored). */
  runsEnded: number;
}

const BATCHES_TABLE = 'perf_bridge_batches';
const CREATE_BATCHES_SQL =
  `CREATE TABLE IF NOT EXISTS ${BATCHES_TABLE} ` +
  '(host VARCHAR, started_us BIGINT, seq UBIGINT, run UINTEGER, event VARCHAR, rows UBIGINT)';
/** Messages per round (one transaction). */
const ROUND_MESSAGES = 256;
/**
 * How long the server waits for a round's acknowledgements before it gives the messages to the
 * next fetch: what a killed collector's restart waits for the messages of its unfinished round.
 */
const ACK_WAIT_NS = 10 * 1e9;

/** The key of a batch, as `perf_bridge_batches` holds it. */
function batchKey(host: string, startedUs: number, seq: number): string {
  return `${host}\u0000${startedUs}\u0000${seq}`;
}

/** The collector's state between rounds. */
class Collection {
  private readonly writers = new Map<string, TableWriter>();
  /** The database's run of each publisher run, by host and start. */
  private readonly runs = new Map<string, number>();
  /** Events each run has rows in the runs table for. */
  private readonly runEvents = new Map<number, Set<string>>();
  private readonly seen = new Set<string>();
  /** The (run, event) rows of the runs table whose `stored` a round changed. */
  private readonly touched = new Set<string>();
  private nextRun = 1;
  readonly summary: CollectorSummary = { batches: 0, rows: 0, duplicates: 0, runsEnded: 0 };

  constructor(
    private readonly ship: ShipModules,
    private readonly database: EventDatabase,
  ) {}

  /** Reads what earlier runs of the collector stored: batch keys and runs. */
  async load(): Promise<void> {
    await this.database.execute(CREATE_BATCHES_SQL);
    const keys = await this.database.rows(`SELECT host, started_us, seq, run FROM ${BATCHES_TABLE}`);
    for (const [host, startedUs, seq, run] of keys as [string, bigint, bigint, number][]) {
      this.seen.add(batchKey(host, Number(startedUs), Number(seq)));
      this.runs.set(batchKey(host, Number(startedUs), 0), run);
    }
    const [[maximum]] = (await this.database.rows(
      `SELECT greatest((SELECT coalesce(max(run), 0) FROM ${RUNS_TABLE}), (SELECT coalesce(max(run), 0) FROM ${BATCHES_TABLE}))`,
    )) as [[number]];
    this.nextRun = maximum + 1;
    const events = await this.database.rows(`SELECT run, event FROM ${RUNS_TABLE}`);
    for (const [run, event] of events as [number, string][]) this.eventsOf(run).add(event);
  }

  private eventsOf(run: number): Set<string> {
    let events = this.runEvents.get(run);
    if (events === undefined) this.runEvents.set(run, (events = new Set()));
    return events;
  }

  /** The database's run of a publisher run, added to the runs table with `table`'s event if new. */
  private async runOf(origin: Omit<BatchOrigin, 'seq'>, table: EventTable): Promise<number> {
    const key = batchKey(origin.host, origin.startedUs, 0);
    let run = this.runs.get(key);
    if (run === undefined) this.runs.set(key, (run = this.nextRun++));
    const events = this.eventsOf(run);
    if (!events.has(table.event)) {
      await this.database.addRunEvent(run, origin, table);
      events.add(table.event);
    }
    return run;
  }

  /** The writer of a collected table (the publisher's table with a host column). */
  private async writerOf(published: EventTable): Promise<TableWriter> {
    let writer = this.writers.get(published.table);
    if (writer === undefined) {
      const table: EventTable = {
        ...published,
        columns: eventTable(published.event, published.table, { fields: [] }, true).columns.concat(
          published.columns.filter((column) => column.source.kind === 'field'),
        ),
      };
      writer = await this.database.writer(table);
      this.writers.set(published.table, writer);
    }
    return writer;
  }

  /** Stores one event batch (unless its key is stored already). */
  private async storeBatch(bytes: Uint8Array): Promise<void> {
    const { origin, table, packed } = decodeRows(this.ship.arrow, bytes);
    const key = batchKey(origin.host, origin.startedUs, origin.seq);
    if (this.seen.has(key)) {
      this.summary.duplicates++;
      return;
    }
    const writer = await this.writerOf(table);
    const run = await this.runOf(origin, table);
    // The writer's table has run and host first: the packed sections line up after them.
    const sections = writer.table.columns.map((column) => {
      const at = table.columns.findIndex((c) => c.name === column.name);
      return at < 0 ? -1 : packed.sections[at]!;
    });
    writer.append({ ...packed, sections }, { run, clockOffsetUs: origin.clockOffsetUs, host: origin.host });
    await this.database.execute(`INSERT INTO ${BATCHES_TABLE} VALUES ($1, $2, $3, $4, $5, $6)`, [
      origin.host,
      origin.startedUs,
      origin.seq,
      run,
      table.event,
      packed.rows,
    ]);
    this.seen.add(key);
    this.touched.add(`${run}\u0000${table.event}`);
    this.summary.batches++;
    this.summary.rows += packed.rows;
  }

  /** Completes a publisher run's rows in the runs table (`stored` is kept by storeRound). */
  private async endRun(end: RunEnd): Promise<void> {
    for (const event of end.events) {
      const table: EventTable = { event: event.event, table: event.table, columns: [] };
      const run = await this.runOf(end.origin, table);
      await this.database.endRunEvent(run, event.event, {
        endedUs: end.endedUs,
        delivered: event.delivered,
        lostStore: event.lost,
        lostKernel: end.lostKernel,
      });
      this.touched.add(`${run}\u0000${event.event}`);
    }
    this.summary.runsEnded++;
  }

  /**
   * Sets `stored` of the runs' rows a round added to: batches of a run may come after its end (a
   * killed collector's unfinished round comes back after the ack wait).
   */
  private async countStored(): Promise<void> {
    for (const key of this.touched) {
      const [run, event] = key.split('\u0000') as [string, string];
      await this.database.execute(
        `UPDATE ${RUNS_TABLE} SET stored = (SELECT coalesce(sum(rows), 0) FROM ${BATCHES_TABLE} ` +
          'WHERE run = $1 AND event = $2) WHERE run = $1 AND event = $2',
        [Number(run), event],
      );
    }
    this.touched.clear();
  }

  /** Stores a round of messages in one transaction, then acknowledges them. */
  async storeRound(messages: JsMsg[]): Promise<void> {
    await this.database.execute('BEGIN TRANSACTION');
    try {
      for (const message of messages) {
        if (message.subject.endsWith(`.${RUN_END_TOKEN}`)) await this.endRun(message.json<RunEnd>());
        else await this.storeBatch(message.data);
      }
      this.database.flush();
      await this.countStored();
      await this.database.execute('COMMIT');
    } catch (error) {
      await this.database.execute('ROLLBACK').catch(() => undefined);
      throw error;
    }
    for (const message of messages) message.ack();
  }
}

/** The durable consumer of the stream, created if missing. */
async function durableConsumer(
  connection: NatsConnection,
  ship: ShipModules,
  settings: StreamSettings,
  durable: string,
): Promise<Consumer> {
  const manager = await ensureStream(connection, settings);
  try {
    await manager.consumers.info(settings.stream, durable);
  } catch {
    await manager.consumers.add(settings.stream, {
      durable_name: durable,
      ack_policy: ship.nats.AckPolicy.Explicit,
      filter_subject: `${settings.prefix}.>`,
      max_ack_pending: 4 * ROUND_MESSAGES,
      ack_wait: ACK_WAIT_NS,
    });
  }
  return connection.jetstream().consumers.get(settings.stream, durable);
}

/** Fetches up to a round of messages, waiting at most `waitMs` for the first. */
async function fetchRound(consumer: Consumer, waitMs: number): Promise<JsMsg[]> {
  const messages: JsMsg[] = [];
  const batch = await consumer.fetch({ max_messages: ROUND_MESSAGES, expires: waitMs });
  for await (const message of batch) messages.push(message);
  return messages;
}

/**
 * Collects from `servers` into the database at `path` until `options.signal` aborts or
 * `idleSeconds` pass without a message; resolves with what it stored.
 */
export async function collect(
  servers: string[],
  path: string,
  options: CollectorOptions = {},
): Promise<CollectorSummary> {
  const ship = loadShipModules();
  const duckdb: DuckDBModules = loadDuckDB();
  const settings = streamSettings(servers, options);
  const database = await EventDatabase.open(duckdb, path);
  const collection = new Collection(ship, database);
  let connection: NatsConnection | undefined;
  try {
    await collection.load();
    connection = await connectNats(ship, servers, 'perf-bridge collector');
    const consumer = await durableConsumer(connection, ship, settings, options.durable ?? 'perf-bridge-collector');
    let idleSince = Date.now();
    const idleMs = options.idleSeconds === undefined ? Infinity : options.idleSeconds * 1000;
    while (!options.signal?.aborted && Date.now() - idleSince < idleMs) {
      const messages = await fetchRound(consumer, Math.min(1000, idleMs));
      if (messages.length === 0) continue;
      await collection.storeRound(messages);
      idleSince = Date.now();
    }
    return collection.summary;
  } finally {
    await connection?.drain().catch(() => undefined);
    await database.close();
  }
}
