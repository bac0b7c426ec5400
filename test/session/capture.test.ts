/** The capture spine against the running kernel: exact counts, values, order, and perf's view. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import type { TraceEvent } from '../../src/decode/records.js';
import { openSession } from '../../src/session/session.js';
import { havePerf, perfRecord } from '../helpers/perf-script.js';
import { loadgen, parseLoadgenReport } from '../helpers/programs.js';
import { blockUntilFinished, exited, spawnGated } from '../helpers/processes.js';
import { byTime } from '../helpers/time-order.js';

const GETPPID = 'syscalls:sys_enter_getppid';
const EXEC = 'sched:sched_process_exec';
const GETPPID_NR = 110; // x86_64

// Type aliases, not interfaces: openSession's field map must be a Record, and only type literals
// have the implicit index signature that makes them one.
// eslint-disable-next-line @typescript-eslint/consistent-type-definitions -- an interface is no Record
type ExecFields = { filename: string; pid: number; old_pid: number };
// eslint-disable-next-line @typescript-eslint/consistent-type-definitions -- an interface is no Record
type Events = { [GETPPID]: { __syscall_nr: number }; [EXEC]: ExecFields };

const getppidTitle =
  'a child calling getppid() exactly N times gives exactly N events with its pid, in time order per CPU';
test(getppidTitle, async () => {
  const N = 100_000;
  const gated = spawnGated(loadgen(), ['getppid', String(N)]);
  const pid = gated.child.pid!;
  // 16 MiB per CPU holds the whole burst, so a busy test machine cannot make this lose events;
  // loss accounting has its own test below.
  const session = openSession<Events>({ events: [GETPPID], ringPages: 4096 });
  let count = 0;
  let firstTime: bigint | undefined;
  let lastOwnTime: bigint | undefined;
  const lastTime = new Map<number, bigint>();
  session.onBatch((batch) => {
    for (const event of batch) {
      const previous = lastTime.get(event.cpu);
      if (previous !== undefined)
        assert.ok(event.time >= previous, `cpu ${event.cpu}: ${event.time} after ${previous}`);
      lastTime.set(event.cpu, event.time);
      if (event.pid !== pid) continue;
      count++;
      firstTime ??= event.time;
      lastOwnTime = event.time;
      assert.equal(event.tid, pid);
      assert.equal(event.event, GETPPID);
      assert.equal(event.fields.__syscall_nr, GETPPID_NR);
    }
  });
  session.start();
  const before = process.hrtime.bigint();
  gated.open();
  const report = parseLoadgenReport(await gated.done);
  const after = process.hrtime.bigint();
  session.stop();
  const stats = session.stats();
  session.close();

  assert.equal(report.pid, pid);
  // Event times are on process.hrtime.bigint()'s clock: every event lies between these readings.
  assert.ok(firstTime !== undefined && lastOwnTime !== undefined);
  assert.ok(
    firstTime >= before && lastOwnTime <= after,
    `events at ${firstTime}..${lastOwnTime}, outside ${before}..${after}`,
  );
  assert.equal(stats.lost.total, 0);
  assert.equal(count, N);
  assert.equal(stats.decodeErrors, 0);
  assert.equal(stats.malformedRecords, 0);
});

test("K spawned processes give exactly K sched_process_exec events whose filename is the path exec'd", async () => {
  const K = 25;
  const dir = mkdtempSync(join(tmpdir(), 'perf-bridge-exec-'));
  // A long, non-ASCII path exercises __data_loc string decoding beyond the short-string path.
  const path = join(dir, `true-${'x'.repeat(100)}-ünï`);
  copyFileSync('/bin/true', path);
  const session = openSession<Events>({ events: [EXEC, GETPPID] });
  const execs: TraceEvent<typeof EXEC, ExecFields>[] = [];
  try {
    const iterate = (async () => {
      for await (const batch of session) {
        for (const event of batch) if (event.event === EXEC) execs.push(event);
      }
    })();
    session.start();
    const report = parseLoadgenReport(await exited(spawn(loadgen(), ['exec', String(K), path])));
    assert.equal(report.produced, K);
    session.close();
    await iterate;
  } finally {
    session.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const mine = execs.filter((event) => event.fields.filename === path);
  assert.equal(mine.length, K);
  assert.equal(new Set(mine.map((event) => event.pid)).size, K, 'one exec per process');
  for (const event of mine) {
    assert.equal(event.fields.pid, event.pid);
    assert.equal(event.fields.old_pid, event.pid);
  }
});

test(
  'decoded values equal what perf script prints for the same events',
  { skip: !havePerf() && 'perf (apt linux-perf) is not installed' },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'perf-bridge-perf-cmp-'));
    const path = join(dir, 'loadgen-copy');
    copyFileSync(loadgen(), path);
    const session = openSession<Events>({ events: [EXEC, GETPPID] });
    const seen: TraceEvent[] = [];
    session.onBatch((batch) => seen.push(...batch));
    session.start();
    let reference;
    try {
      reference = await perfRecord([EXEC, GETPPID], [path, 'exec', '5', path, 'getppid', '2000']);
    } finally {
      session.close();
      rmSync(dir, { recursive: true, force: true });
    }
    const perfEvents = reference.events;
    assert.equal(perfEvents.filter((e) => e.event === GETPPID).length, 5 * 2000, 'perf saw every getppid');
    // Each perf event stamps its own time as it writes, so two consumers of one tracepoint hit see
    // times microseconds apart (milliseconds under an emulated CPU): match the events of each thread
    // in order, compare every decoded value exactly and the times loosely. That the clock is
    // CLOCK_MONOTONIC is checked exactly by the getppid test.
    const byThread = <T extends { tid: number }>(events: T[]) => {
      const map = new Map<number, T[]>();
      for (const event of events) map.set(event.tid, [...(map.get(event.tid) ?? []), event]);
      return map;
    };
    const theirs = byThread(perfEvents);
    const ours = byThread(seen.filter((event) => theirs.has(event.tid)).sort(byTime));
    assert.deepEqual([...ours.keys()].sort(), [...theirs.keys()].sort());
    for (const [tid, perfList] of theirs) {
      const ourList = ours.get(tid)!;
      assert.equal(ourList.length, perfList.length, `thread ${tid}: event count`);
      perfList.forEach((expected, i) => {
        const actual = ourList[i]!;
        const f = actual.fields as Partial<ExecFields>;
        const trace = actual.event === EXEC ? `filename=${f.filename} pid=${f.pid} old_pid=${f.old_pid}` : '';
        assert.deepEqual(
          { event: actual.event, pid: actual.pid, tid: actual.tid, cpu: actual.cpu, trace },
          { event: expected.event, pid: expected.pid, tid: expected.tid, cpu: expected.cpu, trace: expected.trace },
        );
        const skew = actual.time > expected.time ? actual.time - expected.time : expected.time - actual.time;
        assert.ok(
          skew < 20_000_000n,
          `thread ${tid} event ${i}: times ${actual.time} and ${expected.time} differ by ${skew} ns`,
        );
      });
    }
  },
);

test('a ring too small for a burst reports the loss: delivered + lost = produced, exactly', async () => {
  const N = 200_000;
  const gated = spawnGated(loadgen(), ['getppid', String(N)]);
  const session = openSession({ events: [GETPPID], pid: gated.child.pid!, ringPages: 1, wakeup: { events: 1 } });
  let delivered = 0;
  session.onBatch((batch) => (delivered += batch.length));
  session.start();
  gated.open();
  // Keep the event loop busy so nothing drains while the producer runs: the kernel must drop.
  blockUntilFinished(gated.child.pid!, 30_000);
  await gated.done;
  session.stop();
  const stats = session.stats();
  session.close();
  assert.ok(stats.lost.total > 0, 'the 4 KiB ring overflowed');
  assert.equal(delivered + stats.lost.total, N);
  assert.equal(stats.delivered, delivered);
});

test('a pid-filtered session sees only that process and its children', async () => {
  const gated = spawnGated(loadgen(), ['getppid', '1000']);
  const session = openSession({ events: [GETPPID], pid: gated.child.pid! });
  const pids = new Set<number>();
  let count = 0;
  session.onBatch((batch) => {
    for (const event of batch) {
      pids.add(event.pid);
      count++;
    }
  });
  session.start();
  gated.open();
  await gated.done;
  session.close();
  assert.deepEqual([...pids], [gated.child.pid]);
  assert.equal(count, 1000);
});

test('columnar mode: exactly N getppid rows for the child, same fields as object mode', async () => {
  const N = 100_000;
  const gated = spawnGated(loadgen(), ['getppid', String(N)]);
  const pid = gated.child.pid!;
  const session = openSession({ events: [GETPPID], ringPages: 4096 });
  let rows = 0;
  let allRows = 0;
  let wrongNr = 0;
  session.onColumns((batch) => {
    const getppid = batch.events.get(GETPPID);
    if (!getppid) return;
    allRows += getppid.length;
    const nr = getppid.fields.__syscall_nr as Int32Array;
    for (let i = 0; i < getppid.length; i++) {
      if (getppid.pid[i] !== pid) continue;
      rows++;
      if (nr[i] !== GETPPID_NR || getppid.tid[i] !== pid) wrongNr++;
    }
  });
  session.start();
  gated.open();
  await gated.done;
  session.stop();
  const stats = session.stats();
  session.close();
  assert.equal(rows, N);
  assert.equal(wrongNr, 0);
  assert.equal(stats.lost.total, 0);
  // Other processes call getppid() too: the count is every row the listener was given.
  assert.equal(stats.events[GETPPID]!.delivered, allRows);
});

test('sortByTime: events of all CPUs arrive in one time order, across batches', async () => {
  const session = openSession({ events: [GETPPID], sortByTime: true, ringPages: 1024 });
  let previous = -1n;
  let outOfOrder = 0;
  let count = 0;
  const pids = new Set<number>();
  session.onBatch((batch) => {
    for (const event of batch) {
      if (event.time < previous) outOfOrder++;
      previous = event.time;
      if (pids.has(event.pid)) count++;
    }
  });
  session.start();
  // Two producers on the two CPUs at once: their events interleave in time, not in ring order.
  const producers = [0, 1].map((cpu) => spawnGated(loadgen(), ['getppid', '20000', '--cpu', String(cpu)]));
  for (const p of producers) pids.add(p.child.pid!);
  for (const p of producers) p.open();
  await Promise.all(producers.map((p) => p.done));
  session.stop();
  session.close();
  assert.equal(outOfOrder, 0);
  assert.equal(count, 40_000);
});
