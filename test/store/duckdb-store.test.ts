/**
 * The DuckDB store against the running kernel: events of real sessions stored, counted against
 * the load generator, values compared row by row, and read back through DuckDB itself.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';

import type { SessionOptions } from '../../src/session/options.js';
import { openSession } from '../../src/session/session.js';
import { loadDuckDB } from '../../src/store/duckdb-module.js';
import { EventStore } from '../../src/store/duckdb-store.js';
import { StoreError } from '../../src/store/errors.js';
import { callLabel, callValue } from '../helpers/loadgen-calls.js';
import { spawnGated } from '../helpers/processes.js';
import { loadgen, parseLoadgenReport } from '../helpers/programs.js';

const GETPPID = 'syscalls:sys_enter_getppid';
const dir = mkdtempSync(join(tmpdir(), 'perf-bridge-store-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the load generator's `mode` with `count` under a session stored into `path`; returns the generator's pid. */
async function storeRun(
  path: string,
  mode: 'getppid' | 'call',
  count: number,
  options: (binary: string, pid: number) => SessionOptions,
): Promise<{ pid: number; run: number }> {
  const binary = loadgen();
  const gated = spawnGated(binary, [mode, String(count)]);
  const pid = gated.child.pid!;
  let session;
  let store;
  try {
    session = openSession({ ...options(binary, pid), pid, ringPages: 1024 });
    store = await EventStore.open(path, session.formats);
  } catch (error) {
    session?.close();
    gated.child.kill();
    throw error;
  }
  session.onColumns(store.add);
  session.start();
  gated.open();
  assert.equal(parseLoadgenReport(await gated.done).pid, pid);
  session.close();
  const stats = session.stats();
  assert.equal(stats.lost.total, 0);
  const delivered = Object.fromEntries(Object.entries(stats.events).map(([event, e]) => [event, e.delivered]));
  await store.close({ delivered, lostKernel: stats.lost.total });
  return { pid, run: store.run };
}

/** The rows `sql` gives on the database at `path` (opened after the store closed it), as JS values. */
async function query(path: string, sql: string): Promise<unknown[][]> {
  const { api } = loadDuckDB();
  const instance = await api.DuckDBInstance.create(path);
  try {
    const connection = await instance.connect();
    const reader = await connection.runAndReadAll(sql);
    connection.closeSync();
    return reader.getRowsJS();
  } finally {
    instance.closeSync();
  }
}

test('a tracepoint is stored exactly: N getppid() calls give N rows with the caller, its name and the syscall number', async () => {
  const path = join(dir, 'getppid.duckdb');
  const N = 100_000;
  const before = BigInt(Date.now()) * 1000n;
  const { pid, run } = await storeRun(path, 'getppid', N, () => ({ events: [GETPPID] }));
  const afterUs = BigInt(Date.now()) * 1000n;
  assert.equal(run, 1);
  const columns = await query(
    path,
    "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'syscalls_sys_enter_getppid' ORDER BY ordinal_position",
  );
  assert.deepEqual(
    columns.map(([name, type]) => `${String(name)} ${String(type)}`),
    [
      'run UINTEGER',
      'time UBIGINT',
      'wall TIMESTAMP WITH TIME ZONE',
      'cpu UINTEGER',
      'pid UINTEGER',
      'tid UINTEGER',
      'comm VARCHAR',
      '__syscall_nr INTEGER',
    ],
  );
  const [row] = await query(
    path,
    'SELECT count(*), count(DISTINCT time), min(pid), max(pid), min(tid), max(tid), min(comm), max(comm), ' +
      'min(__syscall_nr), max(__syscall_nr), min(run), max(run), ' +
      'epoch_us(min(wall)), epoch_us(max(wall)), min(epoch_us(wall) - time // 1000), max(epoch_us(wall) - time // 1000) ' +
      'FROM syscalls_sys_enter_getppid',
  );
  // The thread name: the binary's name cut to the kernel's 15 bytes (longer than DuckDB's 12 inline).
  const comm = basename(loadgen()).slice(0, 15);
  const [count, distinctTimes, minPid, maxPid, minTid, maxTid, minComm, maxComm, minNr, maxNr, minRun, maxRun] = row!;
  assert.deepEqual(
    [count, distinctTimes, minPid, maxPid, minTid, maxTid, minComm, maxComm, minNr, maxNr, minRun, maxRun],
    [BigInt(N), BigInt(N), pid, pid, pid, pid, comm, comm, 110, 110, 1, 1],
  );
  // wall is time in µs plus one offset for the whole run, and falls within the run on the wall clock.
  const [firstWall, lastWall, minOffset, maxOffset] = row!.slice(12) as bigint[];
  assert.equal(minOffset, maxOffset);
  assert.ok(firstWall! >= before - 5000n && lastWall! <= afterUs + 5000n, `${firstWall}..${lastWall}`);
  const runs = await query(
    path,
    'SELECT run, event, table_name, delivered, stored, lost_store, run_lost_kernel, ended >= started FROM perf_bridge_runs',
  );
  assert.deepEqual(runs, [[1, GETPPID, 'syscalls_sys_enter_getppid', BigInt(N), BigInt(N), 0n, 0n, true]]);
});

test('uprobe strings (short and long) and s64 values are stored exactly, call by call, and a second run appends as run 2', async () => {
  const path = join(dir, 'calls.duckdb');
  const N = 20_000;
  const probes = (binary: string) => ({
    probes: { call: `p ${binary}:pb_target label=+0(%di):string value=%si:s64` },
  });
  await storeRun(path, 'call', N, probes);
  const { run } = await storeRun(path, 'call', 10, probes);
  assert.equal(run, 2);
  const rows = await query(path, 'SELECT label, value FROM call WHERE run = 1 ORDER BY time');
  assert.equal(rows.length, N);
  for (const [i, [label, value]] of rows.entries()) {
    assert.equal(label, callLabel(i), `call ${i}`);
    assert.equal(value, callValue(i), `call ${i}`);
  }
  const types = await query(
    path,
    "SELECT data_type FROM information_schema.columns WHERE table_name = 'call' AND column_name IN ('label', 'value') ORDER BY column_name",
  );
  assert.deepEqual(types, [['VARCHAR'], ['BIGINT']]);
  assert.deepEqual(await query(path, 'SELECT run, count(*) FROM call GROUP BY run ORDER BY run'), [
    [1, BigInt(N)],
    [2, 10n],
  ]);
});

test('a Parquet file written by COPY holds the same rows', async () => {
  const path = join(dir, 'getppid.duckdb');
  const parquet = join(dir, 'getppid.parquet');
  const sum = 'SELECT count(*), sum(time::HUGEINT), sum(pid), min(comm) FROM ';
  const [stored] = await query(path, `${sum} syscalls_sys_enter_getppid`);
  await query(path, `COPY syscalls_sys_enter_getppid TO '${parquet}' (FORMAT parquet)`);
  const [copied] = await query(':memory:', `${sum} read_parquet('${parquet}')`);
  assert.deepEqual(copied, stored);
});

test('a table that exists with other columns is refused, naming both column lists; nothing is written', async () => {
  const path = join(dir, 'mismatch.duckdb');
  await query(path, 'CREATE TABLE syscalls_sys_enter_getppid (time UBIGINT, other VARCHAR)');
  const session = openSession({ events: [GETPPID], pid: process.pid });
  try {
    await assert.rejects(EventStore.open(path, session.formats), (error: unknown) => {
      assert.ok(error instanceof StoreError);
      assert.equal(error.code, 'STORE_SCHEMA_MISMATCH');
      assert.match(error.message, /in the file: time UBIGINT, other VARCHAR/);
      assert.match(error.message, /the event's: run UINTEGER, time UBIGINT/);
      return true;
    });
  } finally {
    session.close();
  }
  assert.deepEqual(await query(path, 'SELECT count(*) FROM perf_bridge_runs'), [[0n]]);
});

test('a fixed array field is a list column: raw_syscalls:sys_enter args as UBIGINT[] of 6', async () => {
  const path = join(dir, 'raw.duckdb');
  const N = 1000;
  await storeRun(path, 'getppid', N, () => ({ events: ['raw_syscalls:sys_enter'] }));
  assert.deepEqual(
    await query(
      path,
      "SELECT data_type FROM information_schema.columns WHERE table_name = 'raw_syscalls_sys_enter' AND column_name = 'args'",
    ),
    [['UBIGINT[]']],
  );
  // getppid takes no arguments; its calls are exactly N rows of id 110 with six arguments each.
  assert.deepEqual(
    await query(path, 'SELECT count(*), min(len(args)), max(len(args)) FROM raw_syscalls_sys_enter WHERE id = 110'),
    [[BigInt(N), 6n, 6n]],
  );
  // Arguments the generator is known to pass, in order: exit_group(0) (231) ends it, and its report
  // is a write (1) to fd 1 (DuckDB lists count from 1).
  assert.deepEqual(await query(path, 'SELECT args[1] FROM raw_syscalls_sys_enter WHERE id = 231'), [[0n]]);
  assert.deepEqual(await query(path, 'SELECT DISTINCT args[1] FROM raw_syscalls_sys_enter WHERE id = 1'), [[1n]]);
});

/**
 * The child of the next test: V8's optimisation state of a function over a typed array before and
 * after `N` getppid() calls of its own were captured and stored, and after it then transferred a
 * buffer (the control: a transfer detaches one, which must show).
 */
const DETACH_PROBE = `
const [sessionUrl, storeUrl, path, n] = process.argv.slice(2);
const { openSession } = await import(sessionUrl);
const { EventStore } = await import(storeUrl);
function sum(a) { let s = 0; for (let i = 0; i < a.length; i++) s += a[i]; return s; }
const numbers = new Uint32Array(64);
%PrepareFunctionForOptimization(sum); sum(numbers); sum(numbers);
%OptimizeFunctionOnNextCall(sum); sum(numbers);
const before = %GetOptimizationStatus(sum);
const session = openSession({ events: ['${GETPPID}'], pid: process.pid, ringPages: 64 });
const store = await EventStore.open(path, session.formats);
session.onColumns(store.add);
session.start();
for (let i = 0; i < Number(n); i++) process.ppid;
session.close();
const stats = session.stats();
await store.close({ delivered: { '${GETPPID}': stats.delivered }, lostKernel: stats.lost.total });
const stored = store.stats().stored['${GETPPID}'];
const afterStore = %GetOptimizationStatus(sum);
const buffer = new ArrayBuffer(8);
structuredClone(buffer, { transfer: [buffer] });
const afterTransfer = %GetOptimizationStatus(sum);
console.log(JSON.stringify({ before, afterStore, afterTransfer, stored }));
`;

/** Bit of V8's optimisation status (%GetOptimizationStatus) that says TurboFan code runs. */
const TURBOFANNED = 1 << 6;

test("storing leaves the capture thread's typed-array code optimised: rows are shared with the worker, no buffer is detached", async () => {
  // The first ArrayBuffer a thread detaches makes V8 discard its optimised typed-array code, the
  // warmed decoders included: at a flood's first batch that lost records (packed-batch.ts).
  const N = 2000;
  const modules = ['../../src/session/session.js', '../../src/store/duckdb-store.js'];
  const urls = modules.map((module) => new URL(module, import.meta.url).href);
  const probe = join(dir, 'detach-probe.mjs');
  writeFileSync(probe, DETACH_PROBE);
  const args = ['--allow-natives-syntax', probe, ...urls, join(dir, 'detach.duckdb'), String(N)];
  const { stdout } = await promisify(execFile)(process.execPath, args, { timeout: 60_000 });
  const report = JSON.parse(stdout) as { before: number; afterStore: number; afterTransfer: number; stored: number };
  assert.equal(report.stored, N);
  assert.ok(report.before & TURBOFANNED, `optimised before: status ${report.before.toString(2)}`);
  assert.ok(report.afterStore & TURBOFANNED, `still optimised after storing: status ${report.afterStore.toString(2)}`);
  // The control: a transfer does discard it, so the check above can fail.
  assert.equal(
    report.afterTransfer & TURBOFANNED,
    0,
    `discarded by a transfer: status ${report.afterTransfer.toString(2)}`,
  );
});
