/**
 * `perf-bridge trace` piped into a reader leaves out its own events and the reader's (found through
 * the pipe's inode), so `trace raw_syscalls:sys_enter | cat` does not trace its own writes and the
 * reader's reads; `--no-exclude-self` keeps them.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

import { CLI, parseLine } from './cli-process.js';

const run = promisify(execFile);

/** Runs `CLI trace raw_syscalls:sys_enter ARGS | cat > OUT` in a shell; the pids of both ends and the events' pids. */
async function tracePipedIntoCat(extra: string[]): Promise<{ cli: number; reader: number; pids: Set<number> }> {
  const dir = mkdtempSync(join(tmpdir(), 'perf-bridge-self-'));
  try {
    const q = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
    const args = ['trace', 'raw_syscalls:sys_enter', '--duration', '1', ...extra].map(q).join(' ');
    // Each stage writes its pid, then execs: the pid is then the CLI's, and cat's.
    const writer = `echo $$ > ${q(join(dir, 'cli'))}; exec ${q(CLI)} ${args} 2>/dev/null`;
    const reader = `echo $$ > ${q(join(dir, 'reader'))}; exec cat > ${q(join(dir, 'out'))}`;
    await run('sh', ['-c', `sh -c ${q(writer)} | sh -c ${q(reader)}`]);
    const lines = readFileSync(join(dir, 'out'), 'utf8').split('\n').filter(Boolean);
    const pids = new Set(lines.map((line) => Number(parseLine(line).pid)));
    const pidIn = (name: string) => Number(readFileSync(join(dir, name), 'utf8'));
    return { cli: pidIn('cli'), reader: pidIn('reader'), pids };
  } finally {
    rmSync(dir, { recursive: true });
  }
}

test('a trace piped into cat contains no event of its own or of cat', async () => {
  // A process that keeps making system calls, so that a quiet machine still has something to trace.
  const busy = spawn(process.execPath, ['-e', 'setInterval(() => require("fs").statSync("/"), 1)'], {
    stdio: 'ignore',
  });
  try {
    const { cli, reader, pids } = await tracePipedIntoCat([]);
    assert.ok(pids.has(busy.pid!), 'another process was traced');
    assert.equal(pids.has(cli), false, 'the CLI itself');
    assert.equal(pids.has(reader), false, 'the reader of its output');
  } finally {
    busy.kill();
  }
});

test('--no-exclude-self keeps both', async () => {
  const { cli, reader, pids } = await tracePipedIntoCat(['--no-exclude-self']);
  assert.equal(pids.has(cli), true, 'the CLI itself');
  assert.equal(pids.has(reader), true, 'the reader of its output');
});
