/**
 * Output that cannot be written: reported by its error code, exit 1, no lines claimed. (A reader that
 * closes the pipe, `| head`, is no failure: see trace.test.ts.)
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { test } from 'node:test';

import { loadgen } from '../helpers/programs.js';
import { processGone, runCli } from './cli-process.js';

/** Runs the CLI with stdout on /dev/full, where every write fails with ENOSPC. */
async function runIntoFullDevice(args: string[]) {
  const full = openSync('/dev/full', 'w');
  try {
    return await runCli(args, { stdout: full });
  } finally {
    closeSync(full);
  }
}

function assertReportedNoSpace(stderr: string): void {
  assert.match(stderr, /^perf-bridge: cannot write output: ENOSPC\b.*\n {2}hint: \S/m);
  assert.doesNotMatch(stderr, /^\s+at /m, 'no stack trace');
  assert.match(stderr, /perf-bridge: 0 events written, [1-9]\d* delivered/, 'events arrived, none was written');
}

test('a full device as stdout ends a command trace with ENOSPC, exit 1, and stops the command', async () => {
  const started = Date.now();
  // One process, so that stopping it leaves no orphan; it would call getppid() for a day.
  const script = 'echo "command pid $$"; exec "$0" getppid 1000000000 --rate 10000';
  const command = ['sh', '-c', script, loadgen()];
  const { code, stderr } = await runIntoFullDevice(['trace', 'syscalls:sys_enter_getppid', '--', ...command]);
  assert.equal(code, 1, stderr);
  assertReportedNoSpace(stderr);
  assert.ok(Date.now() - started < 10_000, 'the endless command did not keep the trace going');
  const commandPid = Number(/command pid (\d+)/.exec(stderr)?.[1]);
  assert.ok(processGone(commandPid), 'the command was stopped');
});

test('a full device as stdout ends a system-wide trace with ENOSPC and exit 1', async () => {
  // A system-wide trace sees any process's events: this generator makes sure there are some.
  const load = spawn(loadgen(), ['getppid', '1000000000', '--rate', '10000'], { stdio: 'ignore' });
  try {
    const { code, stderr } = await runIntoFullDevice(['trace', 'syscalls:sys_enter_getppid', '--duration', '30']);
    assert.equal(code, 1, stderr);
    assertReportedNoSpace(stderr);
  } finally {
    load.kill('SIGKILL');
  }
});
