/** SIGTERM and SIGHUP to `trace -- COMMAND`: passed on to the command, whose status becomes the CLI's. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { test } from 'node:test';

import { processGone, startCli } from './cli-process.js';

for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
  test(`${signal} reaches the command, which dies of it; the CLI waits, summarises, exits 128 + signal`, async () => {
    // The command's stdout is the CLI's stderr: it says its pid once it runs, then becomes sleep.
    const command = ['sh', '-c', 'echo "command pid $$"; exec sleep 30'];
    const cli = startCli(['trace', 'sched:sched_process_exec', '--', ...command]);
    const commandPid = Number((await cli.waitForStderr(/command pid (\d+)/))[1]);
    const sent = Date.now();
    cli.child.kill(signal);
    const { code, stderr } = await cli.done;
    assert.equal(code, 128 + constants.signals[signal], stderr);
    assert.ok(Date.now() - sent < 1500, "ended by the signal, not by the grace period's SIGKILL");
    assert.match(stderr, /perf-bridge: \d+ events written, \d+ delivered, 0 lost/);
    assert.ok(processGone(commandPid), `the command (pid ${commandPid}) is gone`);
  });
}

test('a command that traps SIGHUP decides the status; its descendants get the signal too', async () => {
  // The trap waits for sleep (killed by the same group signal): an orphan would be left to PID 1 to reap.
  const script = 'trap \'echo "hup trapped"; wait; exit 42\' HUP; sleep 30 & echo "pids $$ $!"; wait';
  const cli = startCli(['trace', 'sched:sched_process_exec', '--', 'sh', '-c', script]);
  const [, shellPid, sleepPid] = (await cli.waitForStderr(/pids (\d+) (\d+)/)).map(Number);
  // Until it execs, the background child is a forked shell that drops a pending SIGHUP with its traps.
  await becomes(sleepPid!, 'sleep');
  cli.child.kill('SIGHUP');
  const { code, stderr } = await cli.done;
  assert.equal(code, 42, stderr);
  assert.match(stderr, /hup trapped/);
  assert.match(stderr, /perf-bridge: \d+ events written/);
  assert.ok(processGone(shellPid!), 'the command is gone');
  assert.ok(processGone(sleepPid!), 'its background child, in its process group, is gone');
});

test('SIGHUP without a command ends the trace with the summary and status 0', async () => {
  const cli = startCli(['trace', 'sched:sched_process_exec']);
  // The summary is printed at the end, so wait for the capture to be running instead: give it time.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  cli.child.kill('SIGHUP');
  const { code, signal, stderr } = await cli.done;
  assert.equal(signal, null, 'not killed by the signal');
  assert.equal(code, 0, stderr);
  assert.match(stderr, /perf-bridge: \d+ events written/);
});

/** Waits until process `pid` runs the program named `comm` (it has exec'd). */
async function becomes(pid: number, comm: string): Promise<void> {
  for (let tries = 0; tries < 200; tries++) {
    if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === comm) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail(`process ${pid} did not become ${comm} within 2 s`);
}
