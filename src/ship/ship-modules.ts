/**
 * Loading the NATS client and Apache Arrow only when events are shipped: both are optional peer
 * dependencies, like DuckDB (store/duckdb-module.ts).
 */
import { createRequire } from 'node:module';

import type * as Arrow from 'apache-arrow';
import type * as Nats from 'nats';

import { ShipError } from './errors.js';

/** The client libraries shipping uses. */
export interface ShipModules {
  nats: typeof Nats;
  arrow: typeof Arrow;
}

/** Loads `nats` and `apache-arrow`; a {@link ShipError} `SHIP_MODULE_MISSING` naming the missing one. */
export function loadShipModules(): ShipModules {
  const require = createRequire(import.meta.url);
  const load = (name: string): unknown => {
    try {
      return require(name);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_MODULE_NOT_FOUND') throw error;
      throw new ShipError(
        'SHIP_MODULE_MISSING',
        `shipping events through NATS needs ${name}, which is not installed`,
        'install both next to perf-bridge: npm install nats apache-arrow',
        error,
      );
    }
  };
  return { nats: load('nats') as typeof Nats, arrow: load('apache-arrow') as typeof Arrow };
}
