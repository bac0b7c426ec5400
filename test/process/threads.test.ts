import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';

import { OptionError, PerfBridgeError } from '../../src/errors.js';
import { threadsOf } from '../../src/process/threads.js';
import { exited } from '../helpers/processes.js';

/** A node child with `workers` worker threads started; it prints "ready" once they all run. */
async function threadedChild(workers: number) {
  const script = `
    const { Worker } = require('node:worker_threads');
    let online = 0;
    for (let i = 0; i < ${workers}; i++) {
      new Worker('setInterval(() => {}, 1000)', { eval: true }).on('online', () => {
        if (++online === ${workers}) console.log('ready');
      });
    }`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) =>
    child.stdout.once('data', () => {
      resolve();
    }),
  );
  return child;
}

/** The thread ids of `pid` as ps(1) lists them: an oracle that does not share our code. */
function psThreads(pid: number): number[] {
  return execFileSync('ps', ['-L', '-o', 'lwp=', '-p', String(pid)], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map(Number)
    .sort((a, b) => a - b);
}

test('every thread of a multi-threaded process, sorted, as ps -L lists them', async () => {
  const child = await threadedChild(3);
  try {
    const pid = child.pid!;
    const threads = threadsOf(pid);
    assert.deepEqual(threads, psThreads(pid));
    assert.ok(threads.includes(pid), 'the main thread is listed');
    // node's own threads (V8 platform, libuv) plus the three workers, each with its own thread.
    assert.ok(threads.length >= 4, `at least the main thread and 3 workers: ${threads.join(' ')}`);
    assert.deepEqual(
      threads,
      [...threads].sort((a, b) => a - b),
    );
    const other = threads.find((tid) => tid !== pid)!;
    assert.deepEqual(threadsOf(other), threads, 'a thread id names its whole process');
  } finally {
    child.kill('SIGKILL');
  }
});

test('a single-threaded process has one thread: itself', async () => {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('spawn', resolve));
  try {
    assert.deepEqual(threadsOf(child.pid!), [child.pid]);
  } finally {
    child.kill('SIGKILL');
  }
});

test('a process that is gone is an OptionError on pid, with a hint', async () => {
  const child = spawn('true', [], { stdio: 'ignore' });
  const pid = child.pid!;
  await exited(child);
  assert.ok(!existsSync(`/proc/${pid}`), 'reaped, its pid not reused yet');
  assert.throws(
    () => threadsOf(pid),
    (error: unknown) => {
      assert.ok(error instanceof OptionError && error instanceof PerfBridgeError);
      assert.equal(error.option, 'pid');
      assert.equal(error.code, 'BAD_OPTION_VALUE');
      assert.match(error.message, new RegExp(`no process ${pid} is running`));
      assert.match(error.hint, /ps -p/);
      return true;
    },
  );
});

test('what is no pid is refused before /proc is read', () => {
  for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 31, '1', null, undefined]) {
    assert.throws(
      () => threadsOf(bad as number),
      (error: unknown) => error instanceof OptionError && error.option === 'pid',
      String(bad),
    );
  }
});
