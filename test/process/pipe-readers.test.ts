import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, constants as fsConstants, mkdtempSync, openSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';

import { KernelError } from '../../src/errors.js';
import { pipeReadersOf } from '../../src/process/pipe-readers.js';
import { exited } from '../helpers/processes.js';

/** Reads `name pid` lines from `child`'s stderr until every name in `names` has said its pid. */
function pidsFrom(child: ChildProcess, names: readonly string[]): Promise<Record<string, number>> {
  const pids: Record<string, number> = {};
  let text = '';
  return new Promise((resolve, reject) => {
    child.once('exit', () => {
      reject(new Error(`exited before saying its pids: ${text}`));
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      for (const [, name, pid] of text.matchAll(/(\w+) (\d+)\n/g)) pids[name!] = Number(pid);
      if (names.every((name) => name in pids)) resolve(pids);
    });
  });
}

/**
 * `sleep | cat`: an anonymous pipe whose write end sleep holds and whose read end cat holds. Each
 * side says its pid before it execs; the shell around them holds neither end.
 */
async function sleepIntoCat(): Promise<{ shell: ChildProcess; writer: number; reader: number }> {
  const script = `sh -c 'echo writer $$ >&2; exec sleep 60' | sh -c 'echo reader $$ >&2; exec cat >/dev/null'`;
  const shell = spawn('sh', ['-c', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  const { writer, reader } = await pidsFrom(shell, ['writer', 'reader']);
  return { shell, writer: writer!, reader: reader! };
}

/** Waits until /proc/PID/fd/FD of `pid` links to a pipe (the exec'd program has its fds in place). */
async function pipeAt(pid: number, fd: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      if (execFileSync('readlink', [`/proc/${pid}/fd/${fd}`], { encoding: 'utf8' }).startsWith('pipe:')) return;
    } catch {
      // not there yet
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`fd ${fd} of ${pid} never became a pipe`);
}

test('the reader of an anonymous pipe is found; its writer, the shell and we are not', async () => {
  const { shell, writer, reader } = await sleepIntoCat();
  try {
    await pipeAt(writer, 1);
    await pipeAt(reader, 0);
    // Opening the writer's fd through /proc gives us a write end of the very same pipe.
    const ours = openSync(`/proc/${writer}/fd/1`, 'w');
    // And a read end of our own: we are never in the list.
    const ownRead = openSync(`/proc/${writer}/fd/1`, 'r');
    try {
      assert.deepEqual(pipeReadersOf(ours), [reader]);
    } finally {
      closeSync(ours);
      closeSync(ownRead);
    }
  } finally {
    shell.kill('SIGKILL');
    process.kill(writer, 'SIGKILL');
    process.kill(reader, 'SIGKILL');
  }
});

test('a process holding the pipe read-write is a reader too; sorted by pid', async () => {
  const { shell, writer, reader } = await sleepIntoCat();
  await pipeAt(writer, 1);
  // <> opens O_RDWR: fdinfo flags end in 2.
  const both = spawn('sh', ['-c', `exec 4<>/proc/${writer}/fd/1; echo both $$ >&2; exec sleep 60`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  try {
    const { both: bothPid } = await pidsFrom(both, ['both']);
    await pipeAt(bothPid!, 4);
    const ours = openSync(`/proc/${writer}/fd/1`, 'w');
    try {
      assert.deepEqual(
        pipeReadersOf(ours),
        [reader, bothPid!].sort((a, b) => a - b),
      );
    } finally {
      closeSync(ours);
    }
  } finally {
    for (const pid of [writer, reader]) process.kill(pid, 'SIGKILL');
    shell.kill('SIGKILL');
    both.kill('SIGKILL');
  }
});

/** An fd writing to `fifo`, once a reader has opened it (at most 2 s). */
async function openedForWriting(fifo: string): Promise<number> {
  for (let i = 0; ; i++) {
    try {
      return openSync(fifo, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
    } catch (error) {
      if ((error as { code?: string }).code !== 'ENXIO' || i === 200) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

test('a named FIFO: the process that opened it for reading is found', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pb-proc-fifo-'));
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const cat = spawn('cat', [fifo], { stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    // A non-blocking open for writing fails with ENXIO until cat has opened the FIFO for reading.
    const ours = await openedForWriting(fifo);
    try {
      assert.deepEqual(pipeReadersOf(ours), [cat.pid]);
    } finally {
      closeSync(ours);
    }
  } finally {
    cat.kill('SIGKILL');
    rmSync(dir, { recursive: true });
  }
});

test('a file and a character device are no pipes: []', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pb-proc-file-'));
  const file = openSync(join(dir, 'f'), 'w');
  try {
    assert.deepEqual(pipeReadersOf(file), []);
  } finally {
    closeSync(file);
    rmSync(dir, { recursive: true });
  }
  const devNull = openSync('/dev/null', 'r');
  try {
    assert.deepEqual(pipeReadersOf(devNull), []);
  } finally {
    closeSync(devNull);
  }
});

test('a descriptor that is not open is a KernelError (EBADF)', () => {
  assert.throws(
    () => pipeReadersOf(987654),
    (error: unknown) => error instanceof KernelError && error.code === 'EBADF',
  );
});

test('stdout of `node script | cat` names cat, as the CLI sees it', async () => {
  const module = pathToFileURL(join(import.meta.dirname, '../../src/process/pipe-readers.js')).href;
  const script = `import('${module}').then((m) => process.stderr.write('readers ' + m.pipeReadersOf(1).join(',') + '\\n'))`;
  const shell = spawn(
    'sh',
    ['-c', `"$0" -e "$1" | sh -c 'echo reader $$ >&2; exec cat >/dev/null'`, process.execPath, script],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  shell.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await exited(shell);
  const reader = /reader (\d+)/.exec(stderr)?.[1];
  // cat may not have exec'd yet when the scan runs: then the shell about to become cat holds the pipe.
  assert.match(stderr, new RegExp(`readers ${reader}\\n`), stderr);
});

test('processes exiting during scans are skipped, never an error; the cost of a scan is reported', async (t) => {
  const { shell, writer, reader } = await sleepIntoCat();
  // Hundreds of short-lived processes a second: some exit between the /proc listing and their fds.
  const churn = spawn('sh', ['-c', 'while :; do /bin/true; done'], { stdio: 'ignore' });
  try {
    await pipeAt(writer, 1);
    const ours = openSync(`/proc/${writer}/fd/1`, 'w');
    try {
      const deadline = Date.now() + 2000;
      let scans = 0;
      const started = performance.now();
      while (Date.now() < deadline) {
        assert.deepEqual(pipeReadersOf(ours), [reader]);
        scans++;
      }
      const perScan = (performance.now() - started) / scans;
      t.diagnostic(`${scans} scans of ${readdirSync('/proc').length} /proc entries, ${perScan.toFixed(2)} ms per scan`);
      assert.ok(scans > 10, `${scans} scans`);
    } finally {
      closeSync(ours);
    }
  } finally {
    churn.kill('SIGKILL');
    for (const pid of [writer, reader]) process.kill(pid, 'SIGKILL');
    shell.kill('SIGKILL');
  }
});
