/**
 * The store's worker thread: owns the DuckDB database, creates the tables, appends the packed rows
 * the capture's thread posts, and completes the run's rows in `perf_bridge_runs` at the end.
 * Appending a flood costs DuckDB ~0.4 µs a row: on the capture's thread that would delay drains
 * until the rings overflow; here it only delays the rows.
 */
import { parentPort, workerData } from 'node:worker_threads';

import type { DuckDBAppender, DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';

import { ChunkFiller } from './chunk-filler.js';
import { type DuckDBModules, loadDuckDB } from './duckdb-module.js';
import { StoreError } from './errors.js';
import type { PackedRows } from './packed-batch.js';
import type { FromStoreWorker, RunCounts, StoreWorkerData, ToStoreWorker } from './store-protocol.js';
import { CREATE_RUNS_SQL, type EventTable, RUNS_TABLE, createTableSql } from './table-schema.js';

/** The database, open, with one appender and chunk filler per event table. */
interface OpenStore {
  instance: DuckDBInstance;
  connection: DuckDBConnection;
  appenders: DuckDBAppender[];
  fillers: ChunkFiller[];
  run: number;
  stored: number[];
}

const port = parentPort!;
const data = workerData as StoreWorkerData;

function post(message: FromStoreWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

/** The types of `table`'s columns as they are in the database (upper case, as DESCRIBE prints them). */
async function existingColumns(connection: DuckDBConnection, table: string): Promise<string[]> {
  const reader = await connection.runAndReadAll(
    'SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position',
    [table],
  );
  return (reader.getRowsJS() as [string, string][]).map(([name, type]) => `${name} ${type}`);
}

/** Creates `table` if missing; if present, it must have the columns the event has now. */
async function prepareTable(connection: DuckDBConnection, table: EventTable): Promise<void> {
  const wanted = table.columns.map((column) => `${column.name} ${column.type}`);
  const existing = await existingColumns(connection, table.table);
  if (existing.length === 0) {
    await connection.run(createTableSql(table));
    return;
  }
  if (existing.join(', ') !== wanted.join(', ')) {
    throw new StoreError(
      'STORE_SCHEMA_MISMATCH',
      `table ${table.table} (event ${table.event}) exists in ${data.path} with other columns:\n` +
        `  in the file: ${existing.join(', ')}\n  the event's: ${wanted.join(', ')}`,
      'the event changed (another kernel or probe definition): store into another --db file, or rename the old table',
    );
  }
}

/** This run's id (one more than any before) and its rows in the runs table, ended NULL until the end. */
async function registerRun(connection: DuckDBConnection): Promise<number> {
  const reader = await connection.runAndReadAll(`SELECT coalesce(max(run), 0) + 1 FROM ${RUNS_TABLE}`);
  const run = Number(reader.getRowsJS()[0]![0]);
  for (const table of data.tables) {
    await connection.run(
      `INSERT INTO ${RUNS_TABLE} (run, host, kernel, started, event, table_name) ` +
        'VALUES ($1, $2, $3, make_timestamp($4::BIGINT)::TIMESTAMPTZ, $5, $6)',
      [run, data.host, data.kernel, data.startedUs, table.event, table.table],
    );
  }
  return run;
}

/** Opens the database, prepares the tables and the runs rows, and makes the appenders. */
async function openStore(duckdb: DuckDBModules): Promise<OpenStore> {
  let instance: DuckDBInstance;
  try {
    instance = await duckdb.api.DuckDBInstance.create(data.path);
  } catch (error) {
    throw new StoreError(
      'STORE_OPEN_FAILED',
      `cannot open ${data.path} as a DuckDB database: ${(error as Error).message}`,
      'another process may have it open (DuckDB allows one writer), or the file is not a DuckDB database',
      error,
    );
  }
  const connection = await instance.connect();
  await connection.run(CREATE_RUNS_SQL);
  for (const table of data.tables) await prepareTable(connection, table);
  const run = await registerRun(connection);
  const appenders: DuckDBAppender[] = [];
  const fillers: ChunkFiller[] = [];
  for (const table of data.tables) {
    const appender = await connection.createAppender(table.table);
    const types = table.columns.map((_, i) => appender.columnType(i));
    const chunk = duckdb.api.DuckDBDataChunk.create(types);
    appenders.push(appender);
    fillers.push(new ChunkFiller(duckdb.bindings, table, appender, chunk, run, data.clockOffsetUs));
  }
  return { instance, connection, appenders, fillers, run, stored: data.tables.map(() => 0) };
}

/** Flushes and closes the appenders, completes the run's rows, and closes the database. */
async function closeStore(store: OpenStore, counts: RunCounts): Promise<void> {
  for (const appender of store.appenders) appender.closeSync();
  for (const [i, table] of data.tables.entries()) {
    await store.connection.run(
      `UPDATE ${RUNS_TABLE} SET ended = make_timestamp($1::BIGINT)::TIMESTAMPTZ, delivered = $2, stored = $3, ` +
        'lost_store = $4, run_lost_kernel = $5 WHERE run = $6 AND event = $7',
      [
        counts.endedUs,
        counts.delivered[i]!,
        store.stored[i]!,
        counts.lostStore[i]!,
        counts.lostKernel,
        store.run,
        table.event,
      ],
    );
  }
  await store.connection.run('CHECKPOINT');
  store.connection.closeSync();
  store.instance.closeSync();
}

/** What a failure tells the main thread. */
function failure(error: unknown): FromStoreWorker {
  if (error instanceof StoreError)
    return { kind: 'failed', message: error.message, code: error.code, hint: error.hint };
  const message = `DuckDB failed: ${error instanceof Error ? error.message : String(error)}`;
  return { kind: 'failed', message, code: 'STORE_FAILED', hint: 'the rows stored before the failure are kept' };
}

async function main(): Promise<void> {
  let store: OpenStore | undefined;
  let failed = false;
  // Messages queue in order; each is handled once the store is open.
  const pending: ToStoreWorker[] = [];
  const handle = async (message: ToStoreWorker) => {
    if (failed || store === undefined) return;
    if (message.kind === 'rows') {
      appendRows(store, message);
    } else {
      await closeStore(store, message);
      post({ kind: 'closed', stored: store.stored });
      port.close();
    }
  };
  let queue = Promise.resolve();
  const take = (message: ToStoreWorker) => {
    queue = queue
      .then(() => handle(message))
      .catch((error: unknown) => {
        failed = true;
        post(failure(error));
      });
  };
  port.on('message', (message: ToStoreWorker) => {
    if (store === undefined) pending.push(message);
    else take(message);
  });
  try {
    store = await openStore(loadDuckDB());
  } catch (error) {
    post(failure(error));
    port.close();
    return;
  }
  post({ kind: 'ready', run: store.run });
  for (const message of pending.splice(0)) take(message);
}

/** Appends one PackedRows and sends its buffer back. */
function appendRows(store: OpenStore, packed: PackedRows): void {
  store.fillers[packed.table]!.append(packed);
  store.stored[packed.table]! += packed.rows;
  post({ kind: 'stored', table: packed.table, rows: packed.rows, buffer: packed.buffer }, [packed.buffer]);
}

void main();
