/**
 * A reader slower than the events: while the output is full, the records wait in the rings and the
 * kernel counts what does not fit as lost. Nothing may vanish between the two: every event the
 * generator made is either written or counted lost.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { loadgen } from '../helpers/programs.js';
import { CLI, runProgram } from './cli-process.js';

test('a reader that pauses: events written + lost = events made, and some were lost', async () => {
  const calls = 400_000;
  // Small rings (8 pages per CPU) fill while the reader sleeps: the pause must lose records in the
  // kernel's count, never in ours.
  const trace = `${CLI} trace syscalls:sys_enter_getppid --ring-pages 8 -- ${loadgen()} getppid ${calls}`;
  const reader = '{ sleep 1; wc -l; }';
  const { stdout, stderr } = await runProgram('bash', ['-o', 'pipefail', '-c', `${trace} | ${reader}`], {
    maxBuffer: 1 << 20,
  });
  const summary = /perf-bridge: (\d+) events written, (\d+) delivered, (\d+) lost/.exec(stderr);
  assert.ok(summary, stderr);
  const [written, delivered, lost] = summary.slice(1).map(Number) as [number, number, number];
  assert.equal(Number(stdout.trim()), written, 'the reader got every line the summary claims');
  assert.equal(written, delivered, 'every delivered event was written');
  assert.equal(written + lost, calls, `written ${written} + lost ${lost}`);
  assert.ok(lost > 0, 'the full output made the rings overflow');
});
