/**
 * The store's worker thread: owns the DuckDB database, creates the tables, appends the packed rows
 * the capture's thread posts, and completes the run's rows in `perf_bridge_runs` at the end.
 * Appending a flood costs DuckDB ~0.4 µs a row: on the capture's thread that would delay drains
 * until the rings overflow; here it only delays the rows.
 */
import { parentPort, workerData } from 'node:worker_threads';

import type { RowStamp } from './chunk-filler.js';
import { loadDuckDB } from './duckdb-module.js';
import { StoreError } from './errors.js';
import { EventDatabase, type TableWriter } from './event-database.js';
import type { PackedRows } from './packed-batch.js';
import type { FromStoreWorker, RunCounts, StoreWorkerData, ToStoreWorker } from './store-protocol.js';

/** The database, open, with a writer per event table. */
interface OpenStore {
  database: EventDatabase;
  writers: TableWriter[];
  stamp: RowStamp;
  stored: number[];
}

const port = parentPort!;
const data = workerData as StoreWorkerData;

function post(message: FromStoreWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

/** Opens the database, prepares the tables and adds the run. */
async function openStore(): Promise<OpenStore> {
  const database = await EventDatabase.open(loadDuckDB(), data.path);
  const writers: TableWriter[] = [];
  for (const table of data.tables) writers.push(await database.writer(table));
  const run = await database.addRun(data, data.tables);
  const stamp = { run, clockOffsetUs: data.clockOffsetUs };
  return { database, writers, stamp, stored: data.tables.map(() => 0) };
}

/** Appends one PackedRows and sends its buffer back. */
function appendRows(store: OpenStore, packed: PackedRows): void {
  store.writers[packed.table]!.append(packed, store.stamp);
  store.stored[packed.table]! += packed.rows;
  post({ kind: 'stored', table: packed.table, rows: packed.rows, buffer: packed.buffer }, [packed.buffer]);
}

/** Completes the run's rows and closes the database. */
async function closeStore(store: OpenStore, counts: RunCounts): Promise<void> {
  store.database.flush();
  for (const [i, table] of data.tables.entries()) {
    await store.database.endRunEvent(store.stamp.run, table.event, {
      endedUs: counts.endedUs,
      delivered: counts.delivered[i]!,
      stored: store.stored[i]!,
      lostStore: counts.lostStore[i]!,
      lostKernel: counts.lostKernel,
    });
  }
  await store.database.close();
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
    store = await openStore();
  } catch (error) {
    post(failure(error));
    port.close();
    return;
  }
  post({ kind: 'ready', run: store.stamp.run });
  for (const message of pending.splice(0)) take(message);
}

void main();
