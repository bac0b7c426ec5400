import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { OptionError } from '../../src/errors.js';
import { readComms } from '../../src/process/comms.js';
import { exited } from '../helpers/processes.js';

/**
 * A node child that names each of its threads: the main thread `pb-main`, every other thread
 * `pb-t<tid>` (a process may rename its own threads through /proc). It prints the tids once done.
 */
async function namedThreadsChild(): Promise<{ child: ChildProcess; tids: number[] }> {
  const script = `
    const fs = require('node:fs');
    const { Worker } = require('node:worker_threads');
    new Worker('setInterval(() => {}, 1000)', { eval: true }).on('online', () => {
      const tids = fs.readdirSync('/proc/self/task').map(Number);
      for (const tid of tids) {
        fs.writeFileSync('/proc/self/task/' + tid + '/comm', tid === process.pid ? 'pb-main' : 'pb-t' + tid);
      }
      console.log(tids.join(' '));
    });`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve) =>
    child.stdout.once('data', (chunk: Buffer) => {
      resolve(chunk.toString());
    }),
  );
  return { child, tids: line.trim().split(' ').map(Number) };
}

test('the comm of every thread of the given process, keyed by tid, pid the process', async () => {
  const { child, tids } = await namedThreadsChild();
  try {
    const pid = child.pid!;
    const comms = readComms([pid]);
    // Threads node starts later (none expected once the worker runs) would carry `node`: compare the named ones.
    for (const tid of tids) {
      assert.deepEqual(comms.get(tid), { pid, comm: tid === pid ? 'pb-main' : `pb-t${tid}` }, `thread ${tid}`);
    }
    assert.ok(tids.length >= 2, 'the worker has a thread of its own');
    for (const [tid, entry] of comms) assert.equal(entry.pid, pid, `thread ${tid} belongs to the process`);
    // Any of its threads names the whole process, keyed with the process's pid.
    const other = tids.find((tid) => tid !== pid)!;
    assert.deepEqual(readComms([other]), comms);
  } finally {
    child.kill('SIGKILL');
  }
});

test("an exec'd program's name, and every process when no pids are given", async () => {
  // The comm is the executable's file name (cut to 15 bytes): copy sleep under a name we know.
  const dir = mkdtempSync(join(tmpdir(), 'pb-proc-comm-'));
  const program = join(dir, 'pb-comm-probe');
  copyFileSync('/bin/sleep', program);
  const child = spawn(program, ['30'], { stdio: 'ignore' });
  try {
    await new Promise((resolve) => child.once('spawn', resolve));
    const pid = child.pid!;
    assert.deepEqual(readComms([pid]), new Map([[pid, { pid, comm: 'pb-comm-probe' }]]));
    const all = readComms();
    assert.deepEqual(all.get(pid), { pid, comm: 'pb-comm-probe' });
    const ownComm = readFileSync('/proc/self/comm', 'utf8').trimEnd();
    assert.deepEqual(all.get(process.pid), { pid: process.pid, comm: ownComm });
    assert.equal(all.get(1)?.pid, 1, 'init is there');
    for (const { comm } of all.values()) assert.ok(!comm.endsWith('\n') && comm.length > 0);
  } finally {
    child.kill('SIGKILL');
    await exited(child).catch(() => undefined);
    rmSync(dir, { recursive: true });
  }
});

test('a pid that is gone is left out without an error; a bad pid is an OptionError', async () => {
  const child = spawn('true', [], { stdio: 'ignore' });
  const pid = child.pid!;
  await exited(child);
  assert.ok(!existsSync(`/proc/${pid}`));
  assert.deepEqual(readComms([pid]), new Map());
  assert.deepEqual(readComms([]), new Map());
  for (const bad of [0, -5, 2.5, '7']) {
    assert.throws(
      () => readComms([bad as number]),
      (error: unknown) => error instanceof OptionError,
      String(bad),
    );
  }
});

test('tasks exiting during scans are skipped; the cost of a full scan is reported', async (t) => {
  const churn = spawn('sh', ['-c', 'while :; do /bin/true; done'], { stdio: 'ignore' });
  await new Promise((resolve) => churn.once('spawn', resolve));
  try {
    const deadline = Date.now() + 2000;
    let scans = 0;
    let threads = 0;
    const started = performance.now();
    while (Date.now() < deadline) {
      threads += readComms().size;
      scans++;
    }
    const perScan = (performance.now() - started) / scans;
    t.diagnostic(`${scans} full scans, ${Math.round(threads / scans)} threads each, ${perScan.toFixed(2)} ms per scan`);
    assert.ok(scans > 10);
  } finally {
    churn.kill('SIGKILL');
  }
});
