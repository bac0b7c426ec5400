/**
 * Loading DuckDB only when a store or a query is used: it is an optional peer dependency (a
 * 70 MB native binary that a capture without a store never needs).
 */
import { createRequire } from 'node:module';

import type * as NodeApi from '@duckdb/node-api';
import type * as Bindings from '@duckdb/node-bindings';

import { duckdbMissing } from './errors.js';

/** The two layers of the DuckDB client: the API, and the C bindings the fast append path uses. */
export interface DuckDBModules {
  api: typeof NodeApi;
  bindings: typeof Bindings;
}

/** Whether `error` says a module could not be found (as opposed to failing while it loaded). */
function isModuleMissing(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}

/**
 * Loads DuckDB (synchronously: both layers are CommonJS); a {@link StoreError} `DUCKDB_MISSING`
 * when it is not installed. The bindings are resolved from the API's own place, where a package
 * manager that does not hoist (pnpm) puts them.
 */
export function loadDuckDB(): DuckDBModules {
  try {
    const require = createRequire(import.meta.url);
    const apiPath = require.resolve('@duckdb/node-api');
    const api = require(apiPath) as typeof NodeApi;
    const bindings = createRequire(apiPath)('@duckdb/node-bindings') as typeof Bindings;
    return { api, bindings };
  } catch (error) {
    throw isModuleMissing(error) ? duckdbMissing(error) : error;
  }
}
