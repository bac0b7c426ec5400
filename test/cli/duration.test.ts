/** `--duration`: any length up to the documented maximum, chained past Node's 2^31 - 1 ms timer limit. */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { MAX_DURATION_SECONDS, parseCli } from '../../src/cli/args.js';
import { UsageError } from '../../src/cli/failure.js';
import { MAX_TIMER_MS, setLongTimeout } from '../../src/cli/long-timeout.js';
import { runCli } from './cli-process.js';

const EXEC = 'sched:sched_process_exec';

function durationOf(text: string): number | undefined {
  const command = parseCli(['trace', EXEC, '--duration', text]);
  if (command.kind !== 'trace') assert.fail(`parsed as ${command.kind}`);
  return command.durationSeconds;
}

test('durations up to the maximum parse, a year and 2,200,000 s included', () => {
  assert.equal(durationOf('31536000'), 31_536_000);
  assert.equal(durationOf('2200000'), 2_200_000);
  assert.equal(durationOf('0.25'), 0.25);
  assert.equal(durationOf(String(MAX_DURATION_SECONDS)), MAX_DURATION_SECONDS);
  assert.ok(MAX_DURATION_SECONDS >= 365 * 24 * 3600, 'at least a year');
});

test('nonsense durations are usage errors that say what was given', () => {
  for (const text of ['0', '-1', 'NaN', 'Infinity', 'x', '', '1e400', '0x10', String(MAX_DURATION_SECONDS + 1)]) {
    assert.throws(
      () => durationOf(text),
      (error: unknown) => {
        assert.ok(error instanceof UsageError, text);
        assert.match(error.message, new RegExp(`--duration must be .*got "${text}"`));
        return true;
      },
    );
  }
});

test('a timeout longer than one timer fires once, on time, through a chain of timers', async () => {
  const started = performance.now();
  const fired: number[] = [];
  await new Promise<void>((resolve) => {
    setLongTimeout(
      () => {
        fired.push(performance.now() - started);
        resolve();
      },
      60,
      7,
    );
  });
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(fired.length, 1);
  assert.ok(fired[0]! >= 60 && fired[0]! < 500, `fired after ${fired[0]} ms`);
});

test('a long timeout can be cancelled, also between timers of its chain', async () => {
  let fired = false;
  const cancel = setLongTimeout(() => (fired = true), 40, 7);
  await new Promise((resolve) => setTimeout(resolve, 15));
  cancel();
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal(fired, false);
  assert.equal(MAX_TIMER_MS, 2 ** 31 - 1);
});

test('--duration 2200000 does not end the trace early: the command ends it', async () => {
  const started = Date.now();
  const command = ['sh', '-c', 'sleep 1.5; exit 5'];
  const { code, stderr } = await runCli(['trace', EXEC, '--duration', '2200000', '--', ...command]);
  // Exit 5 is the command's: had the duration ended the trace first, the CLI would stop it and exit 0.
  assert.equal(code, 5, stderr);
  assert.ok(Date.now() - started >= 1500, 'ran until the command ended');
});

test('--duration ends a trace on time', async () => {
  const started = Date.now();
  const { code, stderr } = await runCli(['trace', EXEC, '--duration', '0.5', '--', 'sleep', '9']);
  assert.equal(code, 0, stderr);
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 500 && elapsed < 5000, `ended after ${elapsed} ms`);
});
