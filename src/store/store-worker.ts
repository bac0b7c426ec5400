/**
 * The store's worker thread: owns the DuckDB database, creates the tables, appends the packed rows
 * the capture's thread posts, and completes the run's rows in `perf_bridge_runs` at the end.
 * Appending a flood costs DuckDB ~0.4 µs a row: on the capture's thread that would delay drains
 * until the rings overflow; here, at the lowest priority (worker-loop.ts), it only delays the rows.
 */
import { workerData } from 'node:worker_threads';

import { loadDuckDB } from './duckdb-module.js';
import { EventDatabase, type TableWriter } from './event-database.js';
import { LocalRows, type PackedRows } from './packed-batch.js';
import type { RunCounts, RunData } from './rows-protocol.js';
import { type RowsTaker, post, runRowsWorker } from './worker-loop.js';

/** What the store's worker starts with. */
export interface StoreWorkerData extends RunData {
  /** The database file (created if missing). */
  path: string;
}

const data = workerData as StoreWorkerData;

/** Opens the database, prepares the tables and adds the run; returns what appends the rows. */
async function openStore(): Promise<RowsTaker> {
  // One thread: DuckDB's own pool would run beside the capture at the default priority.
  const database = await EventDatabase.open(loadDuckDB(), data.path, 1);
  const writers: TableWriter[] = [];
  for (const table of data.tables) writers.push(await database.writer(table));
  const run = await database.addRun(data, data.tables);
  const stamp = { run, clockOffsetUs: data.clockOffsetUs };
  const stored = data.tables.map(() => 0);
  const local = new LocalRows();
  return {
    run,
    take: (packed: PackedRows) => {
      writers[packed.table]!.append(local.copy(packed), stamp);
      stored[packed.table]! += packed.rows;
      const { table, rows, buffer } = packed;
      post({ kind: 'done', table, rows, lost: false, buffer });
    },
    end: async (counts: RunCounts) => {
      database.flush();
      for (const [i, table] of data.tables.entries()) {
        await database.endRunEvent(run, table.event, {
          endedUs: counts.endedUs,
          delivered: counts.delivered[i]!,
          stored: stored[i]!,
          lostStore: counts.lostQueued[i]!,
          lostKernel: counts.lostKernel,
        });
      }
      await database.close();
    },
  };
}

void runRowsWorker(openStore, 'DuckDB');
