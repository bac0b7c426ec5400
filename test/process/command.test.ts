import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';

import { OptionError, PerfBridgeError } from '../../src/errors.js';
import { CommandError } from '../../src/process/command-check.js';
import { type HeldCommand, startHeldCommand } from '../../src/process/command.js';
import { exited, hasFinished } from '../helpers/processes.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** All of `held`'s stdout (started with stdio 'pipe'), once it has closed. */
function stdoutOf(held: HeldCommand): Promise<string> {
  let text = '';
  held.child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return new Promise((resolve) =>
    held.child.stdout!.once('close', () => {
      resolve(text);
    }),
  );
}

/** A scratch directory for one test, removed after it. */
function scratch(): { dir: string; cleanUp: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'pb-proc-cmd-'));
  return {
    dir,
    cleanUp: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

test('nothing of the command runs before release; it then execs in the same pid', async () => {
  const { dir, cleanUp } = scratch();
  try {
    const marker = join(dir, 'ran');
    const held = startHeldCommand(['sh', '-c', `touch ${marker}; echo $$`], { stdio: ['ignore', 'pipe', 'inherit'] });
    const output = stdoutOf(held);
    await sleep(300);
    assert.ok(!existsSync(marker), 'held: the command has not run');
    assert.equal(readFileSync(`/proc/${held.pid}/comm`, 'utf8'), 'sh\n', 'the holding shell waits');
    assert.equal(held.released, false);
    assert.equal(held.exit, undefined);
    held.release();
    held.release(); // a second release changes nothing
    assert.equal(held.released, true);
    assert.deepEqual(await held.exited, { code: 0, signal: null, status: 0 });
    assert.deepEqual(held.exit, { code: 0, signal: null, status: 0 });
    assert.ok(existsSync(marker), 'released: it ran');
    assert.equal((await output).trim(), String(held.pid), 'exec kept the pid events were opened on');
  } finally {
    cleanUp();
  }
});

test('exit codes and signals are reported as a shell does', async () => {
  const three = startHeldCommand(['sh', '-c', 'exit 3'], { stdio: 'ignore' });
  three.release();
  assert.deepEqual(await three.exited, { code: 3, signal: null, status: 3 });

  const sleeper = startHeldCommand(['sleep', '30'], { stdio: 'ignore' });
  sleeper.release();
  await sleep(100);
  assert.equal(sleeper.kill('SIGTERM'), true);
  assert.deepEqual(await sleeper.exited, { code: null, signal: 'SIGTERM', status: 143 });
  assert.equal(sleeper.kill('SIGTERM'), false, 'an ended command is never signalled again');
});

test('killed before the release, the command never runs', async () => {
  const { dir, cleanUp } = scratch();
  try {
    const marker = join(dir, 'ran');
    const held = startHeldCommand(['touch', marker], { stdio: 'ignore' });
    held.kill('SIGKILL');
    assert.deepEqual(await held.exited, { code: null, signal: 'SIGKILL', status: 137 });
    held.release(); // too late: the gate's error is swallowed
    await sleep(100);
    assert.ok(!existsSync(marker));
  } finally {
    cleanUp();
  }
});

test('in its own group, kill reaches the descendants too', async () => {
  const held = startHeldCommand(['sh', '-c', 'sleep 30 & echo $!; wait'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    ownGroup: true,
  });
  assert.equal(held.ownGroup, true);
  const firstLine = new Promise<string>((resolve) =>
    held.child.stdout!.once('data', (chunk: Buffer) => {
      resolve(chunk.toString());
    }),
  );
  held.release();
  const background = Number((await firstLine).trim());
  assert.ok(held.kill('SIGTERM'));
  assert.equal((await held.exited).signal, 'SIGTERM');
  for (let i = 0; i < 100 && !hasFinished(background); i++) await sleep(10);
  assert.ok(hasFinished(background), `the background sleep ${background} got the signal too`);
});

test('stop: SIGTERM, then SIGKILL after the grace time for a command that ignores it', async () => {
  const polite = startHeldCommand(['sleep', '30'], { stdio: 'ignore' });
  polite.release();
  await sleep(100);
  assert.equal((await polite.stop()).signal, 'SIGTERM');

  // `trap '' TERM` ignores SIGTERM in the shell and in the sleep it starts.
  const stubborn = startHeldCommand(['sh', '-c', "trap '' TERM; echo ready; sleep 30"], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = new Promise((resolve) => stubborn.child.stdout!.once('data', resolve));
  stubborn.release();
  await ready;
  const started = Date.now();
  const exit = await stubborn.stop({ graceMs: 300 });
  assert.deepEqual(exit, { code: null, signal: 'SIGKILL', status: 137 });
  assert.ok(Date.now() - started >= 290, 'it was given the grace time');
});

test('a command that is not found, not executable, or a directory fails before anything starts', () => {
  const cases: [string[], RegExp, 126 | 127][] = [
    [['no-such-command-xyz'], /"no-such-command-xyz": not found in PATH/, 127],
    [['/no/such/cmd'], /"\/no\/such\/cmd": no such file/, 127],
    [['/etc/passwd'], /"\/etc\/passwd": it is not an executable file/, 126],
    [['/tmp'], /"\/tmp": it is not an executable file/, 126],
  ];
  for (const [argv, message, status] of cases) {
    assert.throws(
      () => startHeldCommand(argv),
      (error: unknown) => {
        assert.ok(error instanceof CommandError && error instanceof PerfBridgeError, argv[0]);
        assert.match(error.message, message);
        assert.equal(error.exitStatus, status);
        assert.equal(error.code, status === 127 ? 'COMMAND_NOT_FOUND' : 'COMMAND_NOT_EXECUTABLE');
        assert.ok(error.hint);
        return true;
      },
    );
  }
});

test("the command is looked up in its env's PATH, relative paths in its cwd; env and cwd reach it", async () => {
  const { dir, cleanUp } = scratch();
  try {
    const script = join(dir, 'pb-hello');
    writeFileSync(script, '#!/bin/sh\necho "$GREETING from $(pwd)"\n');
    chmodSync(script, 0o755);
    assert.throws(() => startHeldCommand(['pb-hello']), /not found in PATH/);
    const env = { PATH: `${dir}:/usr/bin:/bin`, GREETING: 'hello' };
    const byPath = startHeldCommand(['pb-hello'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    const byPathOut = stdoutOf(byPath);
    byPath.release();
    assert.equal((await byPath.exited).status, 0);
    assert.equal(await byPathOut, `hello from ${process.cwd()}\n`);

    assert.throws(() => startHeldCommand(['./pb-hello']), /no such file/);
    const inCwd = startHeldCommand(['./pb-hello'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'inherit'] });
    const inCwdOut = stdoutOf(inCwd);
    inCwd.release();
    assert.equal((await inCwd.exited).status, 0);
    assert.equal(await inCwdOut, `hello from ${dir}\n`);
  } finally {
    cleanUp();
  }
});

test('a cwd that is no directory, and argv that is no command line, are refused', () => {
  assert.throws(
    () => startHeldCommand(['true'], { cwd: '/no/such/dir' }),
    (error: unknown) =>
      error instanceof CommandError && error.code === 'BAD_CWD' && error.message.includes('no such directory'),
  );
  assert.throws(
    () => startHeldCommand(['true'], { cwd: '/etc/passwd' }),
    (error: unknown) => error instanceof CommandError && error.message.includes('not a directory'),
  );
  for (const argv of [[], [''], [1], ['ls', 'a\0b'], 'ls', undefined]) {
    assert.throws(
      () => startHeldCommand(argv as string[]),
      (error: unknown) => error instanceof OptionError && error.option === 'command',
      JSON.stringify(argv),
    );
  }
});

test('when the process holding the gate dies unreleased, the shell exits without running the command', async () => {
  const { dir, cleanUp } = scratch();
  try {
    const marker = join(dir, 'ran');
    const module = pathToFileURL(join(import.meta.dirname, '../../src/process/command.js')).href;
    // The parent starts the command, says its pid, and exits at once without releasing it.
    const parentScript =
      `const m = await import('${module}');` +
      `const held = m.startHeldCommand(['touch', '${marker}'], { stdio: 'ignore' });` +
      `console.log(held.pid); process.exit(0);`;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', parentScript], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const pid = Number((await exited(parent)).trim());
    assert.ok(pid > 0);
    for (let i = 0; i < 200 && !hasFinished(pid); i++) await sleep(10);
    assert.ok(hasFinished(pid), 'the orphaned holding shell ended');
    await sleep(100);
    assert.ok(!existsSync(marker), 'and the command never ran');
  } finally {
    cleanUp();
  }
});
