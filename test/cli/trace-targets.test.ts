/** `trace` targeting: `--filter` after an event, `-C/--cpu`, `-p/--pid`. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';

import { loadgen } from '../helpers/programs.js';
import { parseLine, runCli } from './cli-process.js';

function events(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map(parseLine);
}

test('--filter applies to the event before it', async () => {
  // Three execs of true and one of echo, besides the shell's own: the filter keeps the trues only.
  const script = '/bin/true; /bin/true; /bin/echo hi >/dev/null; /bin/true';
  const args = ['trace', 'sched:sched_process_exec', '--filter', 'filename ~ "*/true"', '--', 'sh', '-c', script];
  const { code, stdout, stderr } = await runCli(args);
  assert.equal(code, 0, stderr);
  const traced = events(stdout);
  assert.equal(traced.length, 3, stdout);
  for (const e of traced) assert.match((e.fields as { filename: string }).filename, /\/true$/);
});

test('--filter on one event leaves the other events whole', async () => {
  const script = `/bin/true; exec ${loadgen()} getppid 100`;
  const args = [
    'trace',
    'sched:sched_process_exec',
    '--filter',
    'filename ~ "*/true"',
    'syscalls:sys_enter_getppid',
    '--',
    'sh',
    '-c',
    script,
  ];
  const { code, stdout, stderr } = await runCli(args);
  assert.equal(code, 0, stderr);
  const traced = events(stdout);
  assert.equal(traced.filter((e) => e.event === 'sched:sched_process_exec').length, 1);
  // The generator's calls (dash calls getppid() once itself, before its exec).
  const generatorCalls = traced.filter((e) => e.event === 'syscalls:sys_enter_getppid' && e.comm !== 'sh');
  assert.equal(generatorCalls.length, 100);
});

const oneCpu = availableParallelism() < 2 && 'needs two CPUs';

test('-C/--cpu traces the listed CPUs only', { skip: oneCpu }, async () => {
  const pinned = ['--', loadgen(), 'getppid', '300', '--cpu', '0'];
  const onZero = await runCli(['trace', 'syscalls:sys_enter_getppid', '-C', '0', ...pinned]);
  assert.equal(onZero.code, 0, onZero.stderr);
  const traced = events(onZero.stdout);
  assert.equal(traced.length, 300);
  for (const e of traced) assert.equal(e.cpu, 0);
  const onOne = await runCli(['trace', 'syscalls:sys_enter_getppid', '--cpu', '1', ...pinned]);
  assert.equal(onOne.code, 0, onOne.stderr);
  assert.equal(events(onOne.stdout).length, 0, 'the generator ran on CPU 0 only');
  assert.match(onOne.stderr, /perf-bridge: 0 events written, 0 delivered/);
});

test('-p/--pid traces that process only', async () => {
  const busy = spawn(loadgen(), ['getppid', '1000000000', '--rate', '2000'], { stdio: 'ignore' });
  const other = spawn(loadgen(), ['getppid', '1000000000', '--rate', '2000'], { stdio: 'ignore' });
  try {
    const args = ['trace', 'syscalls:sys_enter_getppid', '-p', String(busy.pid), '--duration', '0.5'];
    const { code, stdout, stderr } = await runCli(args);
    assert.equal(code, 0, stderr);
    const traced = events(stdout);
    assert.ok(traced.length > 0, 'the process was traced');
    for (const e of traced) assert.equal(e.pid, busy.pid);
  } finally {
    busy.kill('SIGKILL');
    other.kill('SIGKILL');
  }
});
