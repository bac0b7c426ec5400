/**
 * Uprobes on library names (`libc:malloc`, `libc.so.6:malloc`, uprobe('libc', 'malloc')): the
 * definitions checkedDefinition makes of them, without a process and with one started here, and
 * real sessions on them: the probes the kernel lists, the events, and what a name that matches
 * nothing leaves behind (nothing).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { PF_X, PT_LOAD } from '../../src/elf/constants.js';
import { ElfError } from '../../src/elf/errors.js';
import { loadElfFile } from '../../src/elf/loader.js';
import { resolveUprobeOffset } from '../../src/elf/resolve.js';
import { uprobe, uretprobe } from '../../src/probes/builder.js';
import { checkedDefinition, ProbeSet, type ProbeInput } from '../../src/probes/probe-set.js';
import { openSession } from '../../src/session/session.js';
import { tracefsRoot } from '../../src/tracefs/mount.js';
import { loadgen } from '../helpers/programs.js';
import { spawnGated } from '../helpers/processes.js';
import { allProbeLines, ourProbeLines } from '../helpers/tracefs-state.js';

const noUprobes = !existsSync('/sys/kernel/tracing/uprobe_events') && 'kernel has no uprobe_events';
const OWN_GROUPS = `perfbridge_${process.pid}_`;

/** The path `ldconfig -p` gives for libc.so.6 on this ABI. */
function ldconfigLibc(): string {
  const listing = execFileSync('ldconfig', ['-p'], { encoding: 'utf8' });
  const line = listing.split('\n').find((l) => l.startsWith('\tlibc.so.6 (') && l.includes('x86-64'));
  assert.ok(line, 'ldconfig -p lists libc.so.6');
  return line.split(' => ')[1]!;
}

/** The libc path /proc/PID/maps shows, read here independently of the code under test. */
function mappedLibc(pid: number): string | undefined {
  return readFileSync(`/proc/${pid}/maps`, 'utf8')
    .split('\n')
    .map((line) => line.split(/\s+/).slice(5).join(' '))
    .find((path) => path.endsWith('/libc.so.6'));
}

const INPUTS: [string, ProbeInput][] = [
  ['libc:malloc', 'libc:malloc'],
  ['libc.so.6:malloc', 'libc.so.6:malloc'],
  ['p libc.so.6:malloc', 'p libc.so.6:malloc'],
  ["uprobe('libc', 'malloc')", uprobe('libc', 'malloc')],
];

describe('library names in probe definitions', () => {
  let sleeper: ChildProcess | undefined;
  before(async () => {
    sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      try {
        if (mappedLibc(sleeper.pid!) !== undefined) return;
      } catch {
        // not started yet
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error('sleep did not map libc in time');
  });
  after(() => sleeper?.kill('SIGKILL'));

  test('without a process, every spelling resolves to the file ldconfig reports', () => {
    const libc = ldconfigLibc();
    const offset = resolveUprobeOffset(libc, 'malloc').offset;
    for (const [what, input] of INPUTS) {
      assert.deepEqual(checkedDefinition(input).location, { type: 'uoffset', path: libc, offset }, what);
      assert.deepEqual(checkedDefinition(input, { pids: [] }).location, { type: 'uoffset', path: libc, offset }, what);
    }
  });

  test("with a process, the file its /proc/PID/maps shows: ldconfig's file", () => {
    const pid = sleeper!.pid!;
    const mapped = mappedLibc(pid)!;
    const offset = resolveUprobeOffset(mapped, 'malloc').offset;
    for (const [what, input] of INPUTS) {
      assert.deepEqual(
        checkedDefinition(input, { pids: [pid] }).location,
        { type: 'uoffset', path: mapped, offset },
        what,
      );
    }
    const [a, b] = [statSync(mapped), statSync(ldconfigLibc())];
    assert.deepEqual([a.dev, a.ino], [b.dev, b.ino], 'the same file');
  });

  test('MOD:SYM after p without a dot stays a kprobe on module MOD, also with processes given', () => {
    const def = checkedDefinition('p ext4:ext4_sync_file', { pids: [sleeper!.pid!] });
    assert.deepEqual(def.location, { type: 'ksym', module: 'ext4', symbol: 'ext4_sync_file', offset: 0 });
  });
});

test(
  'a session on libc:malloc and its return, by library name, sees the process allocate',
  { skip: noUprobes },
  async () => {
    const binary = loadgen();
    // The load generator allocates stdout's buffer when it prints its closing report.
    const gated = spawnGated(binary, ['call', '10']);
    const session = openSession({ probes: ['libc:malloc', 'r libc.so.6:malloc'], pid: gated.child.pid! });
    const counts = new Map<string, number>();
    session.onBatch((batch) => {
      for (const event of batch) {
        assert.equal(event.pid, gated.child.pid);
        counts.set(event.event, (counts.get(event.event) ?? 0) + 1);
      }
    });
    session.start();
    const listed = ourProbeLines(OWN_GROUPS).join('\n');
    // With a pid, the library that process mapped (its maps path), not the ld.so cache's spelling.
    const libc = mappedLibc(gated.child.pid!)!;
    const offset = resolveUprobeOffset(libc, 'malloc').offset.toString(16).padStart(16, '0');
    try {
      assert.match(listed, new RegExp(`^p:perfbridge_\\d+_\\d+/uprobe_malloc ${libc}:0x${offset}$`, 'm'));
      assert.match(listed, new RegExp(`^r:perfbridge_\\d+_\\d+/uretprobe_malloc ${libc}:0x${offset}$`, 'm'));
    } finally {
      gated.open();
      await gated.done;
      session.close();
    }
    assert.equal(ourProbeLines(OWN_GROUPS).length, 0);
    const calls = counts.get('uprobe_malloc') ?? 0;
    assert.ok(calls >= 1, `malloc was called: ${[...counts].join(', ')}`);
    assert.equal(counts.get('uretprobe_malloc'), calls, 'every call returned');
  },
);

test('a library name that matches nothing is refused before anything is written', { skip: noUprobes }, () => {
  const before = allProbeLines();
  assert.throws(
    () => openSession({ probes: { ok: `p ${loadgen()}:pb_target`, bad: uretprobe('libpb_nothing_here', 'f') } }),
    (error: unknown) => {
      assert.ok(error instanceof ElfError);
      assert.equal(error.code, 'LIBRARY_NOT_FOUND');
      assert.match(error.message, /^No library named "libpb_nothing_here": \/etc\/ld\.so\.cache lists \d+ libraries/);
      return true;
    },
  );
  assert.deepEqual(
    allProbeLines().filter((line) => line.includes(`:${OWN_GROUPS}`)),
    before.filter((line) => line.includes(`:${OWN_GROUPS}`)),
  );
});

const noBusybox = !existsSync('/bin/busybox') ? 'needs /bin/busybox (apt busybox-static)' : undefined;

/** Resolves once `pid`'s maps list `path` (its exec into it happened). */
async function mapsShow(pid: number, path: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    try {
      if (readFileSync(`/proc/${pid}/maps`, 'utf8').includes(` ${path}\n`)) return;
    } catch {
      // not started yet
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`process ${pid} did not map ${path} in time`);
}

test(
  'a file of a process in a container is probed through /proc/PID/root, and the kernel takes that path',
  { skip: noUprobes || noBusybox },
  async () => {
    const root = mkdtempSync(join(tmpdir(), 'pb-names-root-'));
    mkdirSync(join(root, 'bin'));
    mkdirSync(join(root, 'old'));
    copyFileSync('/bin/busybox', join(root, 'bin', 'busybox'));
    // A private mount namespace whose root is `root`, as container runtimes make them.
    const script =
      `mount --bind ${root} ${root} && cd ${root} && pivot_root . old && ` +
      "exec /bin/busybox sh -c '/bin/busybox umount -l /old; exec /bin/busybox sleep 60'";
    const jailed = spawn('unshare', ['--mount', 'sh', '-c', script], { stdio: 'ignore' });
    try {
      const pid = jailed.pid!;
      await mapsShow(pid, '/bin/busybox');
      // busybox is stripped: probe the start of its first executable segment, by file offset.
      const code = loadElfFile(join(root, 'bin', 'busybox')).programHeaders.find(
        (p) => p.type === PT_LOAD && (p.flags & PF_X) !== 0,
      )!;
      const offset = Number(code.offset);
      const definition = checkedDefinition(`busybox:0x${offset.toString(16)}`, { pids: [pid] });
      const path = `/proc/${pid}/root/bin/busybox`;
      assert.deepEqual(definition.location, { type: 'uoffset', path, offset });
      const set = ProbeSet.create(tracefsRoot(), [{ definition }]);
      try {
        assert.equal(set.probes.length, 1);
        assert.equal(set.probes[0]!.label, `uprobe_busybox_0x${offset.toString(16)}`);
        assert.match(
          set.probes[0]!.line,
          new RegExp(`^p:perfbridge_\\d+_\\d+/uprobe_busybox_0x[0-9a-f]+ ${path}:0x0*${offset.toString(16)}$`),
        );
      } finally {
        set.remove();
      }
      assert.ok(set.isRemoved);
      assert.deepEqual(ourProbeLines(OWN_GROUPS), []);
    } finally {
      jailed.kill('SIGKILL');
      rmSync(root, { recursive: true, force: true });
    }
  },
);
