/**
 * Library names resolved as bpftrace resolves them: through the ld.so cache (checked against
 * `ldconfig -p`), through the maps of processes started here (checked against their
 * /proc/PID/maps), and through /proc/PID/root for a process in another root (a chroot holding a
 * copy of the static busybox).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { ElfError } from '../../src/elf/errors.js';
import { libraryMatchRank, resolveLibraryPath } from '../../src/elf/library-path.js';
import { buildFixture, haveTool, missingTools, type FixtureBuild } from './oracle.js';

test('a file answers to a library name the way bcc and bpftrace match them', () => {
  const cases: [file: string, name: string, rank: number | undefined][] = [
    ['libc.so.6', 'libc.so.6', 0],
    ['libc.so.6', 'libc', 1],
    ['libc.so.6', 'c', 1],
    ['libc.so.6', 'libc.so', 2],
    ['libpthread-2.31.so', 'libpthread', 2],
    ['libpthread-2.31.so', 'pthread', 2],
    ['bash', 'bash', 0],
    ['libcrypt.so.1', 'libc', undefined],
    ['libc-client.so.2007e', 'libc', 2],
    ['libc.so.6', 'libc.so.7', undefined],
    ['libcurl.so.4', 'c', undefined],
    ['liblibc.so', 'libc', undefined],
  ];
  for (const [file, name, rank] of cases) assert.equal(libraryMatchRank(file, name), rank, `${file} as ${name}`);
});

/** The path `ldconfig -p` gives for `soname` (the first x86-64 line for it). */
function ldconfigPath(soname: string): string | undefined {
  const listing = execFileSync('ldconfig', ['-p'], { encoding: 'utf8' });
  const line = listing.split('\n').find((l) => l.startsWith(`\t${soname} (`) && l.includes('x86-64'));
  return line?.split(' => ')[1];
}

/** The paths of the files /proc/PID/maps lists, read here independently of the code under test. */
function mapsPaths(pid: number): string[] {
  return readFileSync(`/proc/${pid}/maps`, 'utf8')
    .split('\n')
    .map((line) => line.split(/\s+/).slice(5).join(' '))
    .filter((path) => path.startsWith('/'));
}

/** Starts `command` and resolves once its maps list a file that `ready` accepts. */
async function startMapping(command: string[], env: NodeJS.ProcessEnv, ready: (path: string) => boolean) {
  const child = spawn(command[0]!, command.slice(1), { stdio: 'ignore', env });
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    let paths: string[] = [];
    try {
      paths = mapsPaths(child.pid!);
    } catch {
      // not yet started
    }
    if (paths.some(ready)) return child;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  child.kill('SIGKILL');
  throw new Error(`${command.join(' ')} did not map the expected file in time`);
}

function sameFile(a: string, b: string): boolean {
  const [x, y] = [statSync(a), statSync(b)];
  return x.dev === y.dev && x.ino === y.ino;
}

const noLdconfig = !haveTool('ldconfig') ? 'needs ldconfig' : undefined;

describe('libc by name', { skip: noLdconfig }, () => {
  let sleeper: ChildProcess | undefined;
  before(async () => {
    sleeper = await startMapping(['sleep', '60'], process.env, (path) => path.endsWith('/libc.so.6'));
  });
  after(() => sleeper?.kill('SIGKILL'));

  test('without a process: the file ldconfig reports, whatever the spelling', () => {
    const expected = ldconfigPath('libc.so.6');
    assert.ok(expected, 'ldconfig -p lists libc.so.6');
    for (const name of ['libc', 'libc.so.6', 'libc.so', 'c']) {
      assert.deepEqual(resolveLibraryPath(name), { path: expected, source: 'ld.so.cache' }, name);
    }
  });

  test('with a process: the file its /proc/PID/maps shows, which is the file ldconfig reports', () => {
    const pid = sleeper!.pid!;
    const mapped = mapsPaths(pid).find((path) => path.endsWith('/libc.so.6'))!;
    for (const name of ['libc', 'libc.so.6']) {
      const found = resolveLibraryPath(name, { pids: [pid] });
      assert.deepEqual(found, { path: mapped, source: 'process', pid }, name);
      assert.ok(sameFile(found.path, ldconfigPath('libc.so.6')!), 'the same inode as ldconfig -p says');
    }
  });
});

describe('a library only a process maps', { skip: missingTools() }, () => {
  let fx: FixtureBuild | undefined;
  let preloaded: ChildProcess | undefined;
  let plainSleeper: ChildProcess | undefined;
  before(async () => {
    fx = buildFixture();
    const lib = fx.lib;
    preloaded = await startMapping(['sleep', '60'], { ...process.env, LD_PRELOAD: lib }, (path) => path === lib);
    plainSleeper = await startMapping(['sleep', '60'], process.env, (path) => path.endsWith('/libc.so.6'));
  });
  after(() => {
    preloaded?.kill('SIGKILL');
    plainSleeper?.kill('SIGKILL');
    fx?.cleanup();
  });

  test('resolves through the first process that maps it', () => {
    const pid = preloaded!.pid!;
    const expected = { path: fx!.lib, source: 'process', pid };
    assert.deepEqual(resolveLibraryPath('libpb', { pids: [pid] }), expected);
    assert.deepEqual(resolveLibraryPath('libpb.so', { pids: [plainSleeper!.pid!, 0x7ffffffe, pid] }), expected);
  });

  test('is not found without that process, and the error names every place searched', () => {
    const other = plainSleeper!.pid!;
    assert.throws(
      () => resolveLibraryPath('libpb', { pids: [other] }),
      (error: unknown) => {
        assert.ok(error instanceof ElfError);
        assert.equal(error.code, 'LIBRARY_NOT_FOUND');
        assert.match(
          error.message,
          new RegExp(
            `^No library named "libpb": process ${other} maps \\d+ files, none of that name; ` +
              '/etc/ld.so.cache lists \\d+ libraries, none of that name\\.',
          ),
        );
        assert.match(error.hint, /full path.*ldconfig -p/);
        return true;
      },
    );
  });
});

const noBusybox = !existsSync('/bin/busybox')
  ? 'needs /bin/busybox (apt busybox-static)'
  : process.getuid?.() !== 0
    ? 'chroot and mount namespaces need root'
    : undefined;

/** A directory holding only a copy of the static busybox, as bin/busybox. */
function busyboxRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'pb-names-root-'));
  mkdirSync(join(root, 'bin'));
  mkdirSync(join(root, 'old'));
  copyFileSync('/bin/busybox', join(root, 'bin', 'busybox'));
  return root;
}

describe('processes in another root', { skip: noBusybox }, () => {
  let root: string | undefined;
  const started: ChildProcess[] = [];
  before(() => {
    root = busyboxRoot();
  });
  after(() => {
    for (const child of started) child.kill('SIGKILL');
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  });

  test('a container (own mount namespace, pivot_root): its maps name files inside it, reached through /proc/PID/root', async () => {
    const dir = root!;
    // What container runtimes do: a private mount namespace whose root is the container's tree.
    // unshare makes the namespace's mounts private, so nothing of this reaches the host's.
    const script =
      `mount --bind ${dir} ${dir} && cd ${dir} && pivot_root . old && ` +
      "exec /bin/busybox sh -c '/bin/busybox umount -l /old; exec /bin/busybox sleep 60'";
    const child = await startMapping(
      ['unshare', '--mount', 'sh', '-c', script],
      process.env,
      (path) => path === '/bin/busybox',
    );
    started.push(child);
    const pid = child.pid!;
    assert.deepEqual([...new Set(mapsPaths(pid))], ['/bin/busybox'], 'the path inside the container');
    const found = resolveLibraryPath('busybox', { pids: [pid] });
    assert.deepEqual(found, { path: `/proc/${pid}/root/bin/busybox`, source: 'process', pid });
    assert.ok(sameFile(found.path, join(dir, 'bin', 'busybox')), 'the copy in the container, not /bin/busybox');
    assert.ok(!sameFile(found.path, '/bin/busybox'));
  });

  test('a chroot in our mount namespace: its maps show our path to the file, which is used as it is', async () => {
    const dir = root!;
    const copy = join(dir, 'bin', 'busybox');
    const child = await startMapping(
      ['chroot', dir, '/bin/busybox', 'sleep', '60'],
      process.env,
      (path) => path === copy,
    );
    started.push(child);
    const pid = child.pid!;
    assert.deepEqual(resolveLibraryPath('busybox', { pids: [pid] }), { path: copy, source: 'process', pid });
  });
});
