/**
 * `perf-bridge query FILE SQL`: runs one statement on a database `trace --db` wrote and renders
 * its rows as a table, JSON lines or CSV.
 */
import { existsSync } from 'node:fs';

import type { DuckDBConnection, Json } from '@duckdb/node-api';

import { renderTable } from '../aggregate/table.js';
import { loadDuckDB } from '../store/duckdb-module.js';
import { StoreError, openFailed } from '../store/errors.js';
import type { QueryFormat } from './args.js';

/**
 * A cell as the table and CSV print it, from DuckDB's JSON form of the value (exact: big integers
 * are strings there): SQL NULL as `NULL`, text as itself, lists and structs as JSON.
 */
function cellText(value: Json): string {
  if (value === null) return 'NULL';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** `text` as a CSV field: quoted when it holds a comma, a quote or a line break. */
function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The tables of the database, for a hint when a statement fails. */
async function tableList(connection: DuckDBConnection): Promise<string> {
  const reader = await connection.runAndReadAll('SELECT table_name FROM information_schema.tables ORDER BY 1');
  return (reader.getRowsJS() as [string][]).map(([name]) => name).join(', ');
}

/** Runs `sql` on the database at `path` and returns its rows rendered as `format` says. */
export async function runQuery(path: string, sql: string, format: QueryFormat): Promise<string> {
  // DuckDB would create a missing file: a mistyped name would print an empty answer.
  if (!existsSync(path)) {
    throw new StoreError('QUERY_FAILED', `no database at ${path}`, 'write one with: perf-bridge trace EVENT --db FILE');
  }
  const { api } = loadDuckDB();
  const instance = await api.DuckDBInstance.create(path).catch((error: unknown) => {
    const hint =
      'a trace may still be writing it (DuckDB allows one process at a time), or it is not a DuckDB database';
    throw openFailed(path, error, hint);
  });
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(sql).catch(async (error: unknown) => {
      const tables = await tableList(connection);
      throw new StoreError(
        'QUERY_FAILED',
        (error as Error).message,
        `the tables in ${path}: ${tables || 'none'}`,
        error,
      );
    });
    const names = reader.columnNames();
    if (format === 'jsonl') {
      return reader
        .getRowObjectsJson()
        .map((row) => `${JSON.stringify(row)}\n`)
        .join('');
    }
    const rows = reader.getRowsJson().map((row) => row.map(cellText));
    if (format === 'csv') return [names, ...rows].map((row) => `${row.map(csvField).join(',')}\n`).join('');
    return renderTable(names, rows);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
