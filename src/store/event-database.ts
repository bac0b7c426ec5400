/**
 * A DuckDB database of events, as the store's worker and the NATS collector both write it: the
 * runs table, one table per event (created, or checked against the event's columns), an appender
 * per table, and the runs' rows.
 */
import type { DuckDBAppender, DuckDBConnection, DuckDBInstance, DuckDBValue } from '@duckdb/node-api';

import { ChunkFiller, type RowStamp } from './chunk-filler.js';
import type { DuckDBModules } from './duckdb-module.js';
import { StoreError, openFailed } from './errors.js';
import type { PackedRows } from './packed-batch.js';
import { CREATE_RUNS_SQL, type EventTable, RUNS_TABLE, createTableSql } from './table-schema.js';

/** Where a run came from and when it started, for its rows in the runs table. */
export interface RunOrigin {
  host: string;
  kernel: string;
  /** Wall-clock µs since the epoch. */
  startedUs: number;
}

/** What the runs table gets for one event when its run ends (`stored`: unless counted elsewhere). */
export interface EventRunTotals {
  endedUs: number;
  delivered: number;
  stored?: number;
  lostStore: number;
  lostKernel: number;
}

/** One event table being appended to. */
export interface TableWriter {
  readonly table: EventTable;
  /** Appends every row of `packed`, stamped with its run (and host). */
  append(packed: PackedRows<ArrayBuffer>, stamp: RowStamp): void;
}

/** The types of `table`'s columns in the database, as `name TYPE` (empty: no such table). */
async function existingColumns(connection: DuckDBConnection, table: string): Promise<string[]> {
  const reader = await connection.runAndReadAll(
    'SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position',
    [table],
  );
  return (reader.getRowsJS() as [string, string][]).map(([name, type]) => `${name} ${type}`);
}

/** An open database of events; see the module comment. */
export class EventDatabase {
  private readonly appenders: DuckDBAppender[] = [];

  private constructor(
    private readonly duckdb: DuckDBModules,
    private readonly path: string,
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  /**
   * Opens (or creates) the database at `path`, with its runs table. `threads`: DuckDB's worker
   * threads (default: one per core).
   */
  static async open(duckdb: DuckDBModules, path: string, threads?: number): Promise<EventDatabase> {
    let instance: DuckDBInstance;
    try {
      const config = threads === undefined ? undefined : { threads: String(threads) };
      instance = await duckdb.api.DuckDBInstance.create(path, config);
    } catch (error) {
      const hint = 'another process may have it open (DuckDB allows one writer), or the file is not a DuckDB database';
      throw openFailed(path, error, hint);
    }
    const connection = await instance.connect();
    await connection.run(CREATE_RUNS_SQL);
    return new EventDatabase(duckdb, path, instance, connection);
  }

  /** Creates `table` if missing, or checks that it has the event's columns; returns its writer. */
  async writer(table: EventTable): Promise<TableWriter> {
    const wanted = table.columns.map((column) => `${column.name} ${column.type}`);
    const existing = await existingColumns(this.connection, table.table);
    if (existing.length === 0) {
      await this.connection.run(createTableSql(table));
    } else if (existing.join(', ') !== wanted.join(', ')) {
      throw new StoreError(
        'STORE_SCHEMA_MISMATCH',
        `table ${table.table} (event ${table.event}) exists in ${this.path} with other columns:\n` +
          `  in the file: ${existing.join(', ')}\n  the event's: ${wanted.join(', ')}`,
        'the event changed (another kernel or probe definition): store into another database file, or rename the old table',
      );
    }
    const appender = await this.connection.createAppender(table.table);
    this.appenders.push(appender);
    const types = table.columns.map((_, i) => appender.columnType(i));
    const filler = new ChunkFiller(
      this.duckdb.bindings,
      table,
      appender,
      this.duckdb.api.DuckDBDataChunk.create(types),
    );
    return {
      table,
      append: (packed, stamp) => {
        filler.append(packed, stamp);
      },
    };
  }

  /** A new run's id (one more than any before) and its rows in the runs table, `ended` NULL until it ends. */
  async addRun(origin: RunOrigin, tables: readonly EventTable[]): Promise<number> {
    const reader = await this.connection.runAndReadAll(`SELECT coalesce(max(run), 0) + 1 FROM ${RUNS_TABLE}`);
    const run = Number((reader.getRowsJS() as [bigint][])[0]![0]);
    for (const table of tables) await this.addRunEvent(run, origin, table);
    return run;
  }

  /** Adds the row of `table`'s event to run `run` (an event first seen after the run began). */
  async addRunEvent(run: number, origin: RunOrigin, table: EventTable): Promise<void> {
    await this.connection.run(
      `INSERT INTO ${RUNS_TABLE} (run, host, kernel, started, event, table_name) ` +
        'VALUES ($1, $2, $3, make_timestamp($4::BIGINT)::TIMESTAMPTZ, $5, $6)',
      [run, origin.host, origin.kernel, origin.startedUs, table.event, table.table],
    );
  }

  /** Completes the row of `event` in run `run`. */
  async endRunEvent(run: number, event: string, totals: EventRunTotals): Promise<void> {
    await this.connection.run(
      `UPDATE ${RUNS_TABLE} SET ended = make_timestamp($1::BIGINT)::TIMESTAMPTZ, delivered = $2, ` +
        'stored = coalesce($3, stored), lost_store = $4, run_lost_kernel = $5 WHERE run = $6 AND event = $7',
      [totals.endedUs, totals.delivered, totals.stored ?? null, totals.lostStore, totals.lostKernel, run, event],
    );
  }

  /** Runs a statement that returns nothing. */
  async execute(sql: string, values?: DuckDBValue[]): Promise<void> {
    await this.connection.run(sql, values);
  }

  /** The rows of a query, as JavaScript values (BIGINT as bigint). */
  async rows(sql: string, values?: DuckDBValue[]): Promise<unknown[][]> {
    return (await this.connection.runAndReadAll(sql, values)).getRowsJS();
  }

  /** Makes every appended row durable (each appender's flush commits its rows). */
  flush(): void {
    for (const appender of this.appenders) appender.flushSync();
  }

  /** Flushes and closes the appenders, checkpoints, and closes the database. */
  async close(): Promise<void> {
    for (const appender of this.appenders.splice(0)) appender.closeSync();
    await this.connection.run('CHECKPOINT');
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
