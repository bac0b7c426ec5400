/**
 * A session leaves out its own process's events by default (a tracer that sees its own reads and
 * writes traces itself), every thread of it included; `excludeSelf: false` keeps them, and
 * `excludePids` leaves out other processes too.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';

import type { TraceEvent } from '../../src/decode/records.js';
import { openSession } from '../../src/session/session.js';
import { exited } from '../helpers/processes.js';

const SYS_ENTER = 'raw_syscalls:sys_enter';

/** Makes system calls from this process's main thread and from a worker thread started now. */
async function ownSyscalls(): Promise<void> {
  for (let i = 0; i < 200; i++) readFileSync('/proc/self/stat');
  const worker = new Worker("require('fs').readFileSync('/proc/self/stat'); process.ppid;", { eval: true });
  await new Promise((resolve) => worker.once('exit', resolve));
}

/** A system-wide raw_syscalls:sys_enter session around our own system calls; its events' pids. */
async function pidsSeen(options: { excludeSelf?: boolean; excludePids?: number[] }): Promise<Set<number>> {
  const session = openSession({ events: [SYS_ENTER], ...options });
  const events: TraceEvent[] = [];
  session.onBatch((batch) => events.push(...batch));
  session.start();
  await ownSyscalls();
  const sleeper = spawn('sleep', ['0.05']);
  await exited(sleeper);
  session.close();
  return new Set(events.map((event) => event.pid));
}

test('a system-wide session contains no event of its own process, threads started later included', async () => {
  const pids = await pidsSeen({});
  assert.ok(pids.size > 0, 'other processes were seen');
  assert.equal(pids.has(process.pid), false);
});

test('excludeSelf: false keeps the own events', async () => {
  const pids = await pidsSeen({ excludeSelf: false });
  assert.equal(pids.has(process.pid), true);
});

test('excludePids leaves out other processes, every thread of each', async () => {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => require("fs").statSync("/"), 1)'], {
    stdio: 'ignore',
  });
  try {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const pids = await pidsSeen({ excludePids: [child.pid!] });
    assert.equal(pids.has(child.pid!), false);
    assert.equal(pids.has(process.pid), false);
    const kept = await pidsSeen({ excludeSelf: false });
    assert.equal(kept.has(child.pid!), true, 'the same child is seen when not excluded');
  } finally {
    child.kill();
    await exited(child).catch(() => undefined);
  }
});
