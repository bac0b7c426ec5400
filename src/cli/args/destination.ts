/**
 * Where `trace` sends events other than printing them (`--db FILE`, `--nats URL`), and the
 * `collect` command that takes them from NATS into a database.
 */
import type { CollectCommand, NatsTarget } from '../args.js';
import { UsageError } from '../failure.js';
import { AGGREGATIONS, COLLECT_OPTIONS, MAX_DURATION_SECONDS } from './options.js';
import { type OptionToken, scanArguments } from './scan.js';
import { nonEmpty, positiveNumber } from './values.js';

/** What printing options --db and --nats refuse, with the aggregations. */
const PRINTING = ['format', 'output', 'abs-time', ...AGGREGATIONS, 'top', 'interval'];

/** `--nats URL,URL`: the server URLs, each checked to be one. */
function serverList(option: OptionToken): string[] {
  const servers = nonEmpty(option)!.split(',');
  for (const server of servers) {
    if (!/^(nats|tls|wss?):\/\/[^\s/]+$|^[^\s/:]+(:\d+)?$/.test(server)) {
      throw new UsageError(
        `${option.written} ${server} is not a NATS server URL`,
        'give nats://HOST:PORT (4222 by default)',
      );
    }
  }
  return servers;
}

/** Refuses the options `--db`/`--nats` (`given`) cannot go with. */
function refuseBeside(options: Map<string, OptionToken>, given: string): void {
  const other = PRINTING.find((name) => options.has(name));
  if (other !== undefined) {
    throw new UsageError(
      `--${other} does not apply to ${given}, which sends the events on instead of printing them`,
      'query them where they are stored: perf-bridge query FILE "SQL"',
    );
  }
  if (options.has('stack')) throw new UsageError(`--stack does not apply to ${given} yet: stacks are not stored`);
  if (options.has('count')) {
    throw new UsageError(
      `--count does not apply to ${given}, which takes whole batches`,
      'end the trace with --duration SEC, Ctrl-C, or a command (-- COMMAND)',
    );
  }
}

/** `--db FILE` or `--nats URL` (not both), after refusing what does not go with them. */
export function destination(options: Map<string, OptionToken>): {
  database: string | undefined;
  nats: NatsTarget | undefined;
} {
  const database = nonEmpty(options.get('db'));
  const natsOption = options.get('nats');
  for (const name of ['host', 'nats-replicas']) {
    if (options.has(name) && natsOption === undefined) throw new UsageError(`--${name} goes with --nats only`);
  }
  if (database !== undefined && natsOption !== undefined) {
    throw new UsageError(
      '--db and --nats cannot be given together',
      'publish with --nats, and store with perf-bridge collect --nats URL --db FILE',
    );
  }
  if (database !== undefined) refuseBeside(options, '--db');
  if (natsOption === undefined) return { database, nats: undefined };
  refuseBeside(options, '--nats');
  const replicas = positiveNumber('nats-replicas', options.get('nats-replicas')?.value, 'integer', 5);
  return {
    database,
    nats: { servers: serverList(natsOption), host: nonEmpty(options.get('host')), replicas },
  };
}

/** Parses `collect --nats URL --db FILE [--durable NAME] [--idle SEC] [--nats-replicas N]`. */
export function parseCollect(args: readonly string[]): CollectCommand {
  const tokens = scanArguments(args, COLLECT_OPTIONS, 'collect');
  const options = new Map<string, OptionToken>();
  for (const token of tokens) {
    if (token.kind === 'positional') throw new UsageError(`collect takes no arguments, got "${token.value}"`);
    options.set(token.spec.long, token);
  }
  const natsOption = options.get('nats');
  const database = nonEmpty(options.get('db'));
  if (natsOption === undefined || database === undefined) {
    throw new UsageError(
      'collect needs --nats URL and --db FILE',
      'perf-bridge collect --nats nats://HOST:4222 --db events.duckdb',
    );
  }
  return {
    kind: 'collect',
    servers: serverList(natsOption),
    database,
    durable: nonEmpty(options.get('durable')),
    idleSeconds: positiveNumber('idle', options.get('idle')?.value, 'number', MAX_DURATION_SECONDS),
    replicas: positiveNumber('nats-replicas', options.get('nats-replicas')?.value, 'integer', 5),
  };
}
