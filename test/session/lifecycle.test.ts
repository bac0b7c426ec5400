/** Opening, closing and failing: nothing leaks, errors say what to do. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';

import { KernelError, OptionError, PerfBridgeError } from '../../src/errors.js';
import { openSession } from '../../src/session/session.js';
import { loadgen } from '../helpers/programs.js';
import { exited, openFds } from '../helpers/processes.js';

const GETPPID = 'syscalls:sys_enter_getppid';
/** getppid() calls of the worker test's load generator. */
const WORKER_CALLS = 500;
/** How long the worker waits for them before it reports what it has: far beyond a healthy run. */
const WORKER_DEADLINE_MS = 60_000;

test('close() leaves no fd open, and is idempotent', async () => {
  const before = openFds();
  const session = openSession({ events: [GETPPID, 'sched:sched_process_exec'] });
  assert.ok(openFds().length > before.length, 'the session holds fds while open');
  session.start();
  await exited(spawn(loadgen(), ['getppid', '10']));
  session.close();
  session.close();
  assert.deepEqual(openFds(), before);
  assert.throws(() => session.start(), /closed session/);
});

test('a failed open leaves no fd behind and names the event', () => {
  const before = openFds();
  assert.throws(
    () => openSession({ events: [GETPPID, 'nosuchgroup:nosuchevent'] }),
    (error: unknown) => {
      assert.ok(error instanceof KernelError);
      assert.equal(error.code, 'ENOENT');
      assert.equal(error.errno, 2);
      assert.match(error.message, /no trace event nosuchgroup:nosuchevent/);
      assert.match(error.message, /hint: no such event/);
      return true;
    },
  );
  assert.deepEqual(openFds(), before);
});

/** The highest pid below pid_max that no process has now. */
function unusedPid(): number {
  const pidMax = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
  for (let pid = pidMax - 1; pid > 1; pid--) if (!existsSync(`/proc/${pid}`)) return pid;
  throw new Error('every pid is in use');
}

test('a pid no process has is refused before anything is opened', () => {
  const before = openFds();
  const pid = unusedPid(); // below pid_max, so its range is fine: only /proc can tell
  assert.throws(() => openSession({ events: [GETPPID], pid, inherit: false }), {
    name: 'OptionError',
    option: 'pid',
    message: new RegExp(`no process ${pid} is running`),
  });
  assert.deepEqual(openFds(), before);
});

test('a perf_event_open failure carries errno, code and syscall, and closes what was opened', () => {
  const before = openFds();
  // A directory that is not a cgroup: the kernel refuses its fd as a cgroup with EBADF, on the
  // first CPU, after the cgroup directory was opened (and must be closed again).
  const notACgroup = mkdtempSync(join(tmpdir(), 'perf-bridge-not-a-cgroup-'));
  try {
    assert.throws(
      () => openSession({ events: [GETPPID], cgroup: notACgroup }),
      (error: unknown) => {
        assert.ok(error instanceof KernelError);
        assert.equal(error.syscall, 'perf_event_open');
        assert.equal(error.code, 'EBADF');
        assert.match(error.message, /opening syscalls:sys_enter_getppid on CPU \d/);
        return true;
      },
    );
  } finally {
    rmSync(notACgroup, { recursive: true });
  }
  assert.deepEqual(openFds(), before);
});

test('bad options are refused before anything is opened, each naming the option', () => {
  const cases: [Parameters<typeof openSession>[0], RegExp][] = [
    [{ events: [] }, /nothing to capture: give events, probes, or both/],
    [{ events: 'sched:sched_switch' as never }, /events must be an array of event names/],
    [{ probes: [42 as never] }, /probe #0 is neither definition text nor a probe definition/],
    [{ events: ['no-colon'] }, /"no-colon" is not an event name/],
    [{ events: ['../../etc:passwd'] }, /is not an event name/],
    [{ events: [GETPPID, GETPPID] }, /listed twice/],
    [{ events: [GETPPID], ringPages: 3 }, /ringPages must be a power of two/],
    [{ events: [GETPPID], ringPages: 0 }, /ringPages must be a power of two/],
    [{ events: [GETPPID], wakeup: { bytes: 0 } }, /wakeup.bytes must be an integer/],
    [{ events: [GETPPID], ringPages: 1, wakeup: { bytes: 4096 } }, /below the ring size/],
    [{ events: [GETPPID], wakeup: { events: 1.5 } }, /wakeup.events must be a positive integer/],
    [{ events: [GETPPID], wakeup: { bytes: 1, events: 1 } }, /not both/],
    [{ events: [GETPPID], cpus: [4096] }, /CPU 4096 is not online/],
    [{ events: [GETPPID], cpus: [] }, /cpus must not be empty/],
    [{ events: [GETPPID], pid: -5 }, /pid must be a positive process id/],
    [{ events: [GETPPID], inherit: true }, /inherit needs a pid/],
    [{ events: [GETPPID], flushIntervalMs: 0 }, /flushIntervalMs must be/],
    [{ events: [GETPPID], maxQueuedBatches: 0 }, /maxQueuedBatches must be a positive integer/],
  ];
  const before = openFds();
  for (const [options, message] of cases) {
    assert.throws(
      () => openSession(options),
      (error: unknown) => {
        assert.ok(error instanceof PerfBridgeError, String(error));
        assert.match((error as Error).message, message);
        assert.match((error as Error).message, /hint: /);
        return true;
      },
    );
  }
  assert.ok(new OptionError('x', { hint: 'y' }) instanceof PerfBridgeError);
  assert.deepEqual(openFds(), before);
});

test('an unclosed session is closed when garbage-collected', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const before = openFds();
  (() => {
    openSession({ events: [GETPPID] })
      .start()
      .stop();
  })();
  assert.ok(openFds().length > before.length);
  for (let i = 0; i < 50 && openFds().length !== before.length; i++) {
    gc();
    await nextTurn();
  }
  assert.deepEqual(openFds(), before);
});

test('sessions work inside worker threads (the addon is context-aware)', async () => {
  // The worker waits for the child's last event rather than a fixed time, so a slow machine (the
  // kernel VMs) only takes longer; close() then delivers whatever else is in the rings, so an
  // event too many would still show in the count. The deadline only turns a hang into a failure.
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { spawnSync } = require('node:child_process');
    import(workerData.module).then(({ openSession }) => {
      const session = openSession({ events: ['syscalls:sys_enter_getppid'] });
      let count = 0;
      let pid = -1;
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        clearTimeout(deadline);
        session.close();
        parentPort.postMessage(count);
      };
      const deadline = setTimeout(finish, workerData.deadlineMs);
      session.onBatch((batch) => {
        for (const e of batch) if (e.pid === pid) count++;
        if (count >= workerData.calls) setImmediate(finish);
      });
      session.start();
      pid = spawnSync(workerData.loadgen, ['getppid', String(workerData.calls)]).pid;
    });`;
  const worker = new Worker(source, {
    eval: true,
    workerData: {
      module: new URL('../../src/session/session.js', import.meta.url).href,
      loadgen: loadgen(),
      calls: WORKER_CALLS,
      deadlineMs: WORKER_DEADLINE_MS,
    },
  });
  const count = await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await worker.terminate();
  assert.equal(count, WORKER_CALLS);
});

test('records wait in the rings until someone takes them; close() ends an async iteration', async () => {
  const session = openSession({ events: [GETPPID], wakeup: { events: 1 } });
  session.start();
  const early = spawn(loadgen(), ['getppid', '300']);
  await exited(early);
  session.stop(); // nobody listens yet: the 300 records stay in the rings
  assert.equal(session.stats().delivered, 0);
  const perPid = new Map<number, number>();
  let iterated = 0;
  const loop = (async () => {
    for await (const batch of session) {
      iterated += batch.length;
      for (const e of batch) perPid.set(e.pid, (perPid.get(e.pid) ?? 0) + 1);
    }
  })();
  session.start();
  const late = spawn(loadgen(), ['getppid', '5']);
  await exited(late);
  session.close();
  await loop;
  assert.equal(perPid.get(early.pid!), 300, 'the waiting records reached the iterator');
  assert.equal(perPid.get(late.pid!), 5, 'records made while iterating arrived before close() ended it');
  // Other processes call getppid() too; whatever the session delivered, the iterator saw.
  assert.equal(session.stats().events[GETPPID]!.delivered, iterated);
});
