/** The drain deadline against the running kernel: drains below the wakeup point, and only when due. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { openSession } from '../../src/session/session.js';
import { loadgen } from '../helpers/programs.js';
import { hasFinished, spawnGated } from '../helpers/processes.js';

const GETPPID = 'syscalls:sys_enter_getppid';

/** Waits until `done()` holds, giving up after `limitMs` (a hang becomes a failure, not a timing). */
async function until(done: () => boolean, limitMs: number): Promise<void> {
  for (const start = Date.now(); !done() && Date.now() - start < limitMs;) await sleep(5);
}

test('records below the wakeup point are delivered by the drain deadline, without a call of ours', async () => {
  const N = 300;
  // Paced over about 0.3 s: the generator still runs when the first records are due.
  const gated = spawnGated(loadgen(), ['getppid', String(N), '--rate', '1000']);
  const pid = gated.child.pid!;
  // The kernel's wakeup point is never reached, and the hangup at the generator's exit would drain
  // everything at once: only the deadline can deliver a batch while the generator runs.
  const session = openSession({ events: [GETPPID], pid, wakeup: { events: 1 << 30 } });
  try {
    let delivered = 0;
    let firstWhileRunning: boolean | undefined;
    session.onBatch((batch) => {
      firstWhileRunning ??= !hasFinished(pid);
      delivered += batch.length;
    });
    session.start();
    gated.open();
    await gated.done;
    await until(() => delivered === N, 10_000);
    assert.equal(delivered, N);
    assert.equal(firstWhileRunning, true, 'the first batch came while the generator still ran');
  } finally {
    session.close();
  }
});

test('while the rings stay empty, the native side never calls into JavaScript', async () => {
  const N = 50;
  const gated = spawnGated(loadgen(), ['getppid', String(N)]);
  const session = openSession({ events: [GETPPID], pid: gated.child.pid!, flushIntervalMs: 1 });
  let calls = 0;
  const drainNow = session.drainNow.bind(session);
  session.drainNow = () => {
    calls++;
    drainNow();
  };
  try {
    let delivered = 0;
    session.onBatch((batch) => (delivered += batch.length));
    session.start();
    // Dozens of deadline periods with the generator held at its gate: nothing is written, nothing due.
    await sleep(60);
    assert.equal(calls, 0);
    gated.open();
    await gated.done;
    await until(() => delivered === N, 10_000);
    assert.equal(delivered, N);
    // Read through a function: the assertion above narrowed `calls` to 0.
    const callsNow = (): number => calls;
    assert.ok(callsNow() >= 1, 'readiness or the deadline called in once records were written');
  } finally {
    session.close();
  }
});
