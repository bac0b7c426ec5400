/**
 * Whose events a session sees: every thread of the given pids (perf -p), a cgroup's processes, a
 * command started from its exec. Counted exactly against what the generators made.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';

import type { TraceEvent } from '../../src/decode/records.js';
import { openSession } from '../../src/session/session.js';
import { buildProgram } from '../helpers/programs.js';
import { exited } from '../helpers/processes.js';

const GETPPID = 'syscalls:sys_enter_getppid';
const CALLS = 2000;

/** test/fixtures/programs/targets.c, built once. */
function targets(): string {
  return buildProgram('test/fixtures/programs/targets.c', ['-pthread']);
}

/** A gated `targets` run: its pid and thread ids once it printed them, and the gate. */
interface Started {
  child: ChildProcess;
  pid: number;
  tids: number[];
  open: () => void;
  done: Promise<string>;
}

/** Starts `targets ARGS --gate` and waits until it printed its pid (and, with threads, "ready"). */
async function startTargets(args: string[]): Promise<Started> {
  const child = spawn(targets(), [...args, '--gate'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const done = exited(child);
  let text = '';
  const waitFor = args[0] === 'threads' ? /^ready$/m : /^pid \d+$/m;
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (waitFor.test(text)) resolve();
    });
    child.once('exit', () => {
      reject(new Error(`targets ${args.join(' ')} exited early: ${text}`));
    });
  });
  const pid = Number(/^pid (\d+)$/m.exec(text)![1]);
  const tids = [pid, ...[...text.matchAll(/^tid (\d+)$/gm)].map((m) => Number(m[1]))];
  return { child, pid, tids, open: () => child.stdin.end('go'), done };
}

/** Events per tid, of the given events. */
function countByTid(events: readonly TraceEvent[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const event of events) counts.set(event.tid, (counts.get(event.tid) ?? 0) + 1);
  return counts;
}

/** Runs the started generators to their end inside a started session; returns every event seen. */
async function captureRun(
  options: Parameters<typeof openSession>[0],
  generators: readonly Started[],
): Promise<TraceEvent[]> {
  const session = openSession(options);
  const events: TraceEvent[] = [];
  session.onBatch((batch) => events.push(...batch));
  session.start();
  for (const generator of generators) generator.open();
  await Promise.all(generators.map((generator) => generator.done));
  session.close();
  return events;
}

test('pid covers every thread of a running process, and several pids are allowed', async () => {
  const traced = await startTargets(['threads', '3', String(CALLS)]);
  const second = await startTargets(['threads', '1', String(CALLS)]);
  const other = await startTargets(['threads', '1', String(CALLS)]);
  assert.equal(traced.tids.length, 4, 'the main thread and three more');
  const events = await captureRun({ events: [GETPPID], pid: [traced.pid, second.pid] }, [traced, second, other]);
  const counts = countByTid(events);
  for (const tid of [...traced.tids, ...second.tids]) assert.equal(counts.get(tid), CALLS, `thread ${tid}`);
  for (const tid of other.tids) assert.equal(counts.get(tid), undefined, `unlisted process thread ${tid}`);
  assert.equal(events.length, CALLS * (traced.tids.length + second.tids.length));
});

const CGROUP_ROOT = '/sys/fs/cgroup';
const haveCgroup2 = existsSync(`${CGROUP_ROOT}/cgroup.controllers`);
test(
  'cgroup sees exactly the processes of the cgroup',
  { skip: !haveCgroup2 && 'needs cgroup v2 mounted at /sys/fs/cgroup' },
  async () => {
    const dir = `${CGROUP_ROOT}/perf-bridge-test-${process.pid}`;
    mkdirSync(dir);
    try {
      const inside = await startTargets(['threads', '2', String(CALLS)]);
      const outside = await startTargets(['threads', '1', String(CALLS)]);
      writeFileSync(`${dir}/cgroup.procs`, String(inside.pid));
      assert.match(readFileSync(`${dir}/cgroup.procs`, 'utf8'), new RegExp(`^${inside.pid}$`, 'm'));
      const events = await captureRun({ events: [GETPPID], cgroup: dir }, [inside, outside]);
      const counts = countByTid(events);
      for (const tid of inside.tids) assert.equal(counts.get(tid), CALLS, `thread ${tid} in the cgroup`);
      assert.equal(events.length, CALLS * inside.tids.length, 'nothing from outside the cgroup');
    } finally {
      rmdirSync(dir); // the generators have exited: the cgroup is empty
    }
  },
);

test('command starts a program held, traces it from its exec, and reports its exit status', async () => {
  const session = openSession({ events: [GETPPID], command: [targets(), 'rename', 'pb-renamed', String(CALLS)] });
  const command = session.command!;
  const events: TraceEvent[] = [];
  session.onBatch((batch) => events.push(...batch));
  session.start();
  assert.deepEqual(await command.exited, { code: 0, signal: null, status: 0 });
  session.close();
  assert.equal(events.length, 2 * CALLS, 'both halves of the run, nothing of the launcher');
  assert.ok(events.every((event) => event.pid === command.pid));
});

test('a command that fails is reported through its exit status', async () => {
  const session = openSession({ events: [GETPPID], command: ['sh', '-c', 'exit 7'] });
  session.start();
  assert.deepEqual(await session.command!.exited, { code: 7, signal: null, status: 7 });
  session.close();
});

test('targeting options that do not go together are refused before anything opens', () => {
  assert.throws(() => openSession({ events: [GETPPID], pid: 1, cgroup: CGROUP_ROOT }), {
    code: 'CONFLICTING_OPTIONS',
    option: 'cgroup',
  });
  assert.throws(() => openSession({ events: [GETPPID], pid: [] }), { code: 'BAD_OPTION_VALUE', option: 'pid' });
  assert.throws(() => openSession({ events: [GETPPID], command: [] }), { code: 'BAD_OPTION_TYPE', option: 'command' });
  assert.throws(() => openSession({ events: [GETPPID], cgroup: 'relative/path' }), { option: 'cgroup' });
  assert.throws(() => openSession({ events: [GETPPID], cgroup: '/nonexistent/perf-bridge-cgroup' }), {
    option: 'cgroup',
  });
});
