/**
 * `trace -o FILE`: the events go to FILE (created or truncated) and the command's own stdout stays
 * on stdout; a FILE that cannot be opened is a clear error before anything runs.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { loadgen } from '../helpers/programs.js';
import { parseLine, runCli } from './cli-process.js';

const CALLS = 500;

test('-o FILE: the events in FILE, the command stdout on stdout', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'perf-bridge-output-'));
  const file = join(dir, 'events.jsonl');
  writeFileSync(file, 'old content that must go\n'.repeat(1000));
  try {
    const command = [loadgen(), 'getppid', String(CALLS)];
    const { code, stdout, stderr } = await runCli([
      'trace',
      'syscalls:sys_enter_getppid',
      '-o',
      file,
      '--',
      ...command,
    ]);
    assert.equal(code, 0, stderr);
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line !== '');
    assert.equal(lines.length, CALLS, 'the file holds the events only, its old content truncated');
    for (const line of lines) assert.equal(parseLine(line).event, 'syscalls:sys_enter_getppid');
    // The generator reports on its stdout when it ends: that stays on our stdout.
    assert.match(stdout, new RegExp(`^\\{"mode":"getppid","produced":${CALLS},`, 'm'));
    assert.doesNotMatch(stderr, /"produced"/);
    assert.match(stderr, new RegExp(`perf-bridge: ${CALLS} events written`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('-o FILE in a directory that does not exist: exit 2, the file and the reason named, the command never run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'perf-bridge-output-'));
  try {
    const file = join(dir, 'missing', 'events.jsonl');
    const marker = join(dir, 'ran');
    const { code, stdout, stderr } = await runCli([
      'trace',
      'sched:sched_process_exec',
      '-o',
      file,
      '--',
      'touch',
      marker,
    ]);
    assert.equal(code, 2, stderr);
    assert.equal(stdout, '');
    assert.match(stderr, /^perf-bridge: cannot open output file ".*missing\/events\.jsonl": ENOENT\b.*\n {2}hint: \S/m);
    assert.doesNotMatch(stderr, /^\s+at /m, 'no stack trace');
    assert.throws(() => readFileSync(marker), 'the command did not run');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
