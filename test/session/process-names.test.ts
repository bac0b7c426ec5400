/**
 * Every event names its thread (`comm`) as it was when the event happened: from /proc for threads
 * that already ran, from the side-band records after a rename or an exec, and still after the
 * thread exited before its batch was read.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { test } from 'node:test';

import type { ColumnBatch } from '../../src/decode/columns.js';
import type { TraceEvent } from '../../src/decode/records.js';
import { openSession } from '../../src/session/session.js';
import { buildProgram } from '../helpers/programs.js';
import { exited } from '../helpers/processes.js';

const GETPPID = 'syscalls:sys_enter_getppid';
const CALLS = 1500;
/** The kernel keeps 15 bytes of a task's name (TASK_COMM_LEN - 1). */
const commOf = (path: string): string => basename(path).slice(0, 15);

function targets(): string {
  return buildProgram('test/fixtures/programs/targets.c', ['-pthread']);
}

/** Runs `targets ARGS` to its end with the session capturing; returns its pid and events. */
async function traceRun(args: string[], columns = false): Promise<{ pid: number; comms: string[]; live?: string }> {
  // The reader drains only at close: every rename, exec and the exit are long done by then.
  const session = openSession({ events: [GETPPID], flushIntervalMs: 60_000, wakeup: { events: 1 << 30 } });
  const events: TraceEvent[] = [];
  const columnBatches: { pid: number[]; comm: string[]; time: bigint[] }[] = [];
  if (columns) {
    session.onColumns((batch: ColumnBatch) => {
      const rows = batch.events.get(GETPPID);
      if (rows) columnBatches.push({ pid: [...rows.pid], comm: [...rows.comm], time: [...rows.time] });
    });
  } else {
    session.onBatch((batch) => events.push(...batch));
  }
  session.start();
  const child = spawn(targets(), [...args, '--gate'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const done = exited(child);
  const pid = child.pid!;
  // Read while the process lives and waits at its gate.
  await new Promise<void>((resolve) =>
    child.stdout.once('data', () => {
      resolve();
    }),
  );
  const live = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  child.stdin.end('go');
  await done;
  session.close();
  // Rows in time order: a batch holds each CPU's ring in turn, and the process may have moved CPU.
  const rows = columns
    ? columnBatches.flatMap((b) => b.comm.map((comm, i) => ({ pid: b.pid[i]!, comm, time: b.time[i]! })))
    : events;
  const comms = rows
    .filter((e) => e.pid === pid)
    .sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0))
    .map((e) => e.comm);
  return { pid, comms, live };
}

/** Runs of equal names, in order: [['a', 3], ['b', 2]]. */
function runs(comms: readonly string[]): [string, number][] {
  const out: [string, number][] = [];
  for (const comm of comms) {
    const last = out.at(-1);
    if (last?.[0] === comm) last[1]++;
    else out.push([comm, 1]);
  }
  return out;
}

test('comm is /proc/PID/comm for a running process, then its new name after a rename, also after it exited', async () => {
  const { comms, live } = await traceRun(['rename', 'pb-renamed', String(CALLS)]);
  assert.equal(live, commOf(targets()));
  assert.deepEqual(runs(comms), [
    [live, CALLS],
    ['pb-renamed', CALLS],
  ]);
});

test('comm follows an exec: the old name before it, the executed file after it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'perf-bridge-comm-'));
  try {
    const copy = join(dir, 'pb-exec-copy');
    copyFileSync(targets(), copy);
    const { comms, live } = await traceRun(['exec', copy, String(CALLS)]);
    assert.deepEqual(runs(comms), [
      [live, CALLS],
      ['pb-exec-copy', CALLS],
      ['pb-after-exec', CALLS],
    ]);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('columnar mode has the same names, as a string column', async () => {
  const { comms, live } = await traceRun(['rename', 'pb-columns', String(CALLS)], true);
  assert.deepEqual(runs(comms), [
    [live, CALLS],
    ['pb-columns', CALLS],
  ]);
});
