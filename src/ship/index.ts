/**
 * Shipping events through NATS JetStream: {@link openPublisher} on each host, {@link collect} where
 * they are stored. Both load their modules (and `nats`, `apache-arrow`, DuckDB) only when called.
 */
import type { EventFormat } from '../decode/format.js';
import type { CollectorOptions, CollectorSummary } from './nats-collector.js';
import type { NatsPublisher, PublisherOptions } from './nats-publisher.js';

export type { CollectorOptions, CollectorSummary } from './nats-collector.js';
export type { NatsPublisher, PublisherOptions, PublisherStats } from './nats-publisher.js';
export { ShipError, type ShipErrorCode } from './errors.js';

/**
 * Connects to the NATS servers, creates the stream if it is missing, and returns a publisher for
 * the events of `formats` (a session's `formats`): feed it with `session.onColumns(publisher.add)`;
 * after `session.close()`, `await publisher.close(totals)`. Needs the optional peer dependencies
 * `nats` and `apache-arrow`.
 */
export async function openPublisher(
  servers: string[],
  formats: ReadonlyMap<string, EventFormat>,
  options: PublisherOptions = {},
): Promise<NatsPublisher> {
  const { NatsPublisher: Publisher } = await import('./nats-publisher.js');
  return Publisher.open(servers, formats, options);
}

/**
 * Stores what publishers ship into the DuckDB database at `path` until `options.signal` aborts or
 * `options.idleSeconds` pass without a message. Needs `nats`, `apache-arrow` and `@duckdb/node-api`.
 */
export async function collect(
  servers: string[],
  path: string,
  options: CollectorOptions = {},
): Promise<CollectorSummary> {
  const collector = await import('./nats-collector.js');
  return collector.collect(servers, path, options);
}
