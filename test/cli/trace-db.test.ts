/** `trace --db` and `query`: events stored by the command as a user runs it, and read back with SQL. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { loadgen } from '../helpers/programs.js';
import { runCli } from './cli-process.js';

const GETPPID = 'syscalls:sys_enter_getppid';
const N = 50_000;
const dir = mkdtempSync(join(tmpdir(), 'perf-bridge-cli-db-'));
const database = join(dir, 'events.duckdb');
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** `perf-bridge query database SQL ...args`: its stdout, after checking it succeeded. */
async function query(sql: string, ...args: string[]): Promise<string> {
  const result = await runCli(['query', ...args, database, sql]);
  assert.equal(result.code, 0, result.stderr);
  return result.stdout;
}

test('trace --db stores every event of a command, and says so; query prints a table, JSON lines or CSV', async () => {
  const traced = await runCli(['trace', GETPPID, '--db', database, '--', loadgen(), 'getppid', String(N)]);
  assert.equal(traced.code, 0, traced.stderr);
  assert.match(
    traced.stderr,
    new RegExp(`perf-bridge: ${N} events stored in ${database} \\(run 1\\), ${N} delivered, 0 lost`),
  );
  const count = `SELECT event, delivered, stored, lost_store FROM perf_bridge_runs`;
  assert.equal(
    await query(count),
    `event                       delivered  stored  lost_store\n${GETPPID}      ${N}   ${N}           0\n`,
  );
  assert.equal(
    await query(count, '--format', 'jsonl'),
    `{"event":"${GETPPID}","delivered":"${N}","stored":"${N}","lost_store":"0"}\n`,
  );
  assert.equal(await query(count, '--format', 'csv'), `event,delivered,stored,lost_store\n${GETPPID},${N},${N},0\n`);
  // The help's example: the last hour on the wall clock, by name.
  const lastHour =
    'SELECT comm, count(*) AS n FROM syscalls_sys_enter_getppid WHERE wall > now() - INTERVAL 1 HOUR GROUP BY ALL';
  assert.match(await query(lastHour, '--format', 'csv'), new RegExp(`^comm,n\\nloadgen-[0-9a-f]+,${N}\\n$`));
});

test('query: a missing file, and a failing statement, name what is wrong and what is there', async () => {
  const missing = await runCli(['query', join(dir, 'nothing.duckdb'), 'SELECT 1']);
  assert.notEqual(missing.code, 0);
  assert.match(
    missing.stderr,
    /no database at .*nothing\.duckdb\n {2}hint: write one with: perf-bridge trace EVENT --db FILE/,
  );
  const failing = await runCli(['query', database, 'SELECT * FROM nope']);
  assert.notEqual(failing.code, 0);
  assert.match(failing.stderr, /Table with name nope does not exist/);
  assert.match(failing.stderr, /hint: the tables in .*: perf_bridge_runs, syscalls_sys_enter_getppid/);
});
