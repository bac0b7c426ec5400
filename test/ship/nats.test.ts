/**
 * Shipping through a real 3-node NATS JetStream cluster (nats-server on loopback ports): two
 * hosts publish with `trace --nats` into a stream with 3 replicas, one collector stores into
 * DuckDB. Counted against the generators: every event once per host, also when a server is killed
 * mid-stream and when the collector is killed mid-stream and started again.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { loadDuckDB } from '../../src/store/duckdb-module.js';
import { startCli } from '../cli/cli-process.js';
import { NatsCluster, natsServerMissing } from '../helpers/nats-cluster.js';
import { loadgen } from '../helpers/programs.js';

const GETPPID = 'syscalls:sys_enter_getppid';
const skip = natsServerMissing();
const dir = mkdtempSync(join(tmpdir(), 'perf-bridge-ship-'));
let cluster: NatsCluster | undefined;

before(async () => {
  if (!skip) cluster = await NatsCluster.start(3);
});
after(() => {
  cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** `trace --nats` of a paced getppid generator making `count` calls, published as `host`. */
function publish(host: string, count: number, rate: number) {
  return startCli([
    'trace',
    GETPPID,
    '--nats',
    cluster!.urls.join(','),
    '--host',
    host,
    '--nats-replicas',
    '3',
    '--',
    loadgen(),
    'getppid',
    String(count),
    '--rate',
    String(rate),
  ]);
}

/** `collect` into `database` until idle for `idle` seconds. */
function collector(database: string, idle: number) {
  return startCli(['collect', '--nats', cluster!.urls.join(','), '--db', database, '--idle', String(idle)], {
    stdout: 'drop',
  });
}

/** The rows of `sql` on the database at `path`. */
async function query(path: string, sql: string): Promise<unknown[][]> {
  const instance = await loadDuckDB().api.DuckDBInstance.create(path);
  try {
    const connection = await instance.connect();
    const rows = (await connection.runAndReadAll(sql)).getRowsJS();
    connection.closeSync();
    return rows;
  } finally {
    instance.closeSync();
  }
}

/** Checks that the published run of each host in `counts` was stored exactly once, completely. */
async function assertExactlyOnce(database: string, counts: Record<string, number>): Promise<void> {
  const perHost = await query(
    database,
    'SELECT host, count(*), count(DISTINCT time), min(comm) LIKE $$loadgen%$$ FROM syscalls_sys_enter_getppid GROUP BY host ORDER BY host',
  );
  assert.deepEqual(
    perHost,
    Object.entries(counts).map(([host, n]) => [host, BigInt(n), BigInt(n), true]),
  );
  assert.deepEqual(
    await query(
      database,
      'SELECT count(*) FROM (SELECT host, started_us, seq FROM perf_bridge_batches GROUP BY ALL HAVING count(*) > 1)',
    ),
    [[0n]],
  );
  const runs = await query(
    database,
    'SELECT host, delivered, stored, lost_store, ended IS NOT NULL FROM perf_bridge_runs ORDER BY host',
  );
  assert.deepEqual(
    runs,
    Object.entries(counts).map(([host, n]) => [host, BigInt(n), BigInt(n), 0n, true]),
  );
}

test(
  'two hosts publish, one server is killed mid-stream, the collector is killed mid-stream and restarted: every event stored once per host',
  { skip },
  async () => {
    const database = join(dir, 'fleet.duckdb');
    const counts = { alpha: 600_000, beta: 400_000 };
    const alpha = publish('alpha', counts.alpha, 100_000);
    const beta = publish('beta', counts.beta, 100_000);
    const first = collector(database, 60);
    // Mid-stream (the generators run for 4-6 s): once the collector has stored some rounds, one
    // server goes, then the collector, hard.
    const acked = await cluster!.waitForAcks('PERF_BRIDGE', 'perf-bridge-collector', 20_000);
    cluster!.kill(2);
    await new Promise((resolve) => setTimeout(resolve, 500));
    first.child.kill('SIGKILL');
    await first.done;
    for (const [producer, count] of [
      [alpha, counts.alpha],
      [beta, counts.beta],
    ] as const) {
      const result = await producer.done;
      assert.equal(result.code, 0, result.stderr);
      // Every event acknowledged by the cluster, though a server died: nothing lost, nothing left unacknowledged.
      assert.match(
        result.stderr,
        new RegExp(`perf-bridge: ${count} events published to [^ ,]+(,[^ ,]+)*, ${count} delivered, 0 lost`),
      );
    }
    // The killed collector's unfinished round comes back after the consumer's ack wait (10 s).
    const second = await collector(database, 12).done;
    assert.equal(second.code, 0, second.stderr);
    // The first collector had stored some of the stream, the second stored the rest.
    const stored = Number(/perf-bridge: (\d+) events in/.exec(second.stderr)?.[1]);
    assert.ok(
      acked > 0 && stored < counts.alpha + counts.beta,
      `first collector acked ${acked}, second stored ${stored}`,
    );
    assert.match(
      second.stderr,
      /perf-bridge: \d+ events in \d+ batches stored in .*, \d+ duplicate batches skipped, 2 runs ended/,
    );
    await assertExactlyOnce(database, counts);
  },
);

test('no server at the URL: trace --nats and collect fail before capturing, naming the URL and how to start one', async () => {
  const unreachable = 'nats://127.0.0.1:1';
  const traced = await startCli(['trace', GETPPID, '--nats', unreachable, '--', 'true']).done;
  assert.equal(traced.code, 2, traced.stderr);
  assert.match(
    traced.stderr,
    /no NATS server answered at nats:\/\/127\.0\.0\.1:1: .*\n {2}hint: start one with JetStream enabled/,
  );
  const collected = await startCli(['collect', '--nats', unreachable, '--db', join(dir, 'none.duckdb')]).done;
  assert.notEqual(collected.code, 0);
  assert.match(collected.stderr, /no NATS server answered at nats:\/\/127\.0\.0\.1:1/);
});
