/** The errors of the event store. */
import { PerfBridgeError } from '../errors.js';

/** Why a store failed. */
export type StoreErrorCode =
  /** `@duckdb/node-api` is not installed (it is an optional peer dependency). */
  | 'DUCKDB_MISSING'
  /** The database could not be opened (another process holds it, not a DuckDB file, no permission). */
  | 'STORE_OPEN_FAILED'
  /** An event's table exists with other columns than the event has now. */
  | 'STORE_SCHEMA_MISMATCH'
  /** The store's worker failed while storing or closing (DuckDB's message says why). */
  | 'WORKER_FAILED'
  /** A query given to `perf-bridge query` failed. */
  | 'QUERY_FAILED';

/** A store or query failure: what went wrong, and in `hint` what to do. */
export class StoreError extends PerfBridgeError {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    hint: string,
    cause?: unknown,
  ) {
    super(message, { hint, cause });
  }
}

/** The error for a database DuckDB would not open; `hint` says what is likely. */
export function openFailed(path: string, cause: unknown, hint: string): StoreError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new StoreError('STORE_OPEN_FAILED', `cannot open ${path} as a DuckDB database: ${reason}`, hint, cause);
}

/** The error for a missing `@duckdb/node-api`. */
export function duckdbMissing(cause: unknown): StoreError {
  return new StoreError(
    'DUCKDB_MISSING',
    'storing events needs DuckDB, and @duckdb/node-api is not installed',
    'install it next to perf-bridge: npm install @duckdb/node-api',
    cause,
  );
}
