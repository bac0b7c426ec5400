/**
 * The event store's entry point: {@link openStore} loads the store's modules (and DuckDB, in the
 * store's worker) only when a program stores events.
 */
import type { EventFormat } from '../decode/format.js';
import type { EventStore, StoreOptions } from './duckdb-store.js';

export type { EventStore, RunTotals, StoreOptions, StoreStats } from './duckdb-store.js';
export { StoreError, type StoreErrorCode } from './errors.js';

/**
 * Opens (or creates) the DuckDB database at `path` for the events of `formats` (a session's
 * `formats`): one table per event, rows appended by a worker thread. Feed it with
 * `session.onColumns(store.add)`; after `session.close()`, `await store.close(totals)`. Needs the
 * optional peer dependency `@duckdb/node-api`.
 */
export async function openStore(
  path: string,
  formats: ReadonlyMap<string, EventFormat>,
  options: StoreOptions = {},
): Promise<EventStore> {
  const { EventStore: Store } = await import('./duckdb-store.js');
  return Store.open(path, formats, options);
}
