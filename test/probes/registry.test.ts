/**
 * The ownership registry cannot be turned against its user: planted links, unsafe directories,
 * and planted, torn or malformed records are refused or skipped, and nothing outside the registry
 * directory and tracefs is touched. No name ever collides here (the one probe created is in a
 * group named after this process), so these tests run on the host.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, beforeEach, test } from 'node:test';

import { resolveUprobeOffset } from '../../src/elf/resolve.js';
import { OwnerRegistry, scanRegistry } from '../../src/probes/ownership.js';
import { openSession } from '../../src/session/session.js';
import { loadgen } from '../helpers/programs.js';
import { RegistryError } from '../../src/errors.js';
import { registryDir } from '../../src/probes/registry-dir.js';
import { sweepDeadOwners } from '../../src/probes/sweep.js';
import { tracefsRoot } from '../../src/tracefs/mount.js';
import { probeLinesOf, writeProbeCommand } from '../../src/tracefs/probe-files.js';
import { allProbeLines, probeLines } from '../helpers/tracefs-state.js';

const scratch = mkdtempSync(join(tmpdir(), 'pb-registry-test-'));
let dir = '';
let case_ = 0;

beforeEach(() => {
  dir = join(scratch, `registry-${case_++}`);
  process.env.PERF_BRIDGE_REGISTRY_DIR = dir;
});

after(() => {
  delete process.env.PERF_BRIDGE_REGISTRY_DIR;
  rmSync(scratch, { recursive: true, force: true });
});

/** The pid of a process that has exited: its records are a dead owner's. */
function deadPid(): number {
  const child = spawnSync('true');
  assert.ok(child.pid);
  return child.pid;
}

/** This process's record file name: `<pid>-<start time>.json`. */
function ownRecordName(): string {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  return `${process.pid}-${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!}.json`;
}

const FOREIGN = `pbforeign_${process.pid}`;

/** A record exactly as perf-bridge writes it, for a dead owner, with fields overridden. */
function plantRecord(pid: number, override: Record<string, unknown>, into = registryDir()): string {
  const path = join(into, `${pid}-1.json`);
  const record = {
    version: 2,
    pid,
    startTime: '1',
    probes: [
      {
        file: 'uprobe_events',
        group: FOREIGN,
        event: 'keep',
        command: `p:${FOREIGN}/keep /bin/true:0x2000`,
        line: `p:${FOREIGN}/keep /bin/true:0x0000000000002000`,
      },
    ],
    ...override,
  };
  writeFileSync(path, JSON.stringify(record), { mode: 0o600 });
  return path;
}

const noUprobes = !existsSync(`${tracefsRoot()}/uprobe_events`) && 'kernel has no uprobe_events';

test('the directory is created private (0700), whatever the umask', () => {
  const previous = process.umask(0);
  try {
    assert.equal(registryDir(), dir);
  } finally {
    process.umask(previous);
  }
  assert.equal(lstatSync(dir).mode & 0o777, 0o700);
});

test('a world-writable, foreign-owned or symlinked registry directory is refused', () => {
  mkdirSync(dir);
  chmodSync(dir, 0o777);
  assert.throws(
    () => registryDir(),
    (e: unknown) => e instanceof RegistryError && e.code === 'UNSAFE_REGISTRY' && e.message.includes('mode 777'),
  );

  chmodSync(dir, 0o700);
  chownSync(dir, 65534, 65534);
  assert.throws(
    () => registryDir(),
    (e: unknown) => e instanceof RegistryError && e.message.includes('owned by uid 65534'),
  );

  const target = join(scratch, `target-${case_}`);
  mkdirSync(target, { mode: 0o700 });
  const link = `${dir}-link`;
  symlinkSync(target, link);
  process.env.PERF_BRIDGE_REGISTRY_DIR = link;
  assert.throws(
    () => registryDir(),
    (e: unknown) => e instanceof RegistryError && e.message.includes('symbolic link'),
  );
  assert.deepEqual(readdirSync(target), [], 'nothing written through the link');
});

test('without root there is no shared /tmp fallback: a clear error instead', () => {
  const probe = `import('${new URL('../../src/probes/registry-dir.js', import.meta.url).href}')
    .then((m) => { try { m.registryDir(); console.log('no error'); } catch (e) { console.log(e.code, e.hint ? 'hint' : ''); } })`;
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' }; // neither XDG_RUNTIME_DIR nor the override
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', probe], {
    uid: 65534,
    gid: 65534,
    env,
    encoding: 'utf8',
  });
  assert.equal(child.stdout.trim(), 'NO_REGISTRY hint', child.stderr);
});

test('a symlink planted at the record path is replaced, never followed', () => {
  const victim = join(scratch, `victim-${case_}`);
  writeFileSync(victim, 'precious\n');
  registryDir();
  symlinkSync(victim, join(dir, ownRecordName()));
  const registry = new OwnerRegistry(dir);
  const probe = { file: 'uprobe_events', group: 'g', event: 'e', command: 'p:g/e /bin/true:0x10', line: null } as const;
  registry.add({ ...probe });
  assert.equal(readFileSync(victim, 'utf8'), 'precious\n');
  assert.ok(lstatSync(join(dir, ownRecordName())).isFile(), 'the record is a regular file now');
  assert.equal(lstatSync(join(dir, ownRecordName())).mode & 0o777, 0o600);
  registry.delete(probe);
  assert.ok(!existsSync(join(dir, ownRecordName())), 'an empty registry leaves no file');
  assert.equal(readFileSync(victim, 'utf8'), 'precious\n');
});

test('planted, torn and malformed records are skipped with a reason, never trusted or thrown', () => {
  registryDir();
  const outside = join(scratch, `outside-${case_}`);
  const cases: [string, Record<string, unknown> | string, RegExp][] = [
    [
      'traversal in file',
      { probes: [{ file: `../../../..${outside}`, group: 'g', event: 'e', command: 'p:g/e x', line: null }] },
      /not a probe file/,
    ],
    ['probes null', { probes: null }, /not a list/],
    ['torn', '{"version":2,"pid":', /not valid JSON/],
    ['old format', { version: undefined }, /unknown record version/],
    [
      'bad group',
      { probes: [{ file: 'uprobe_events', group: 'a b', event: 'e', command: 'p:a b/e x', line: null }] },
      /bad group/,
    ],
    [
      'newline in command',
      {
        probes: [{ file: 'uprobe_events', group: 'g', event: 'e', command: `p:g/e x\n-:${FOREIGN}/keep`, line: null }],
      },
      /command/,
    ],
    [
      'command for another probe',
      { probes: [{ file: 'uprobe_events', group: 'g', event: 'e', command: `p:${FOREIGN}/keep x`, line: null }] },
      /command/,
    ],
    ['pid mismatch', { pid: 1 }, /does not match/],
    ['start time mismatch', { startTime: '2' }, /startTime does not match/],
    [
      'a name too long for the kernel',
      {
        probes: [
          { file: 'uprobe_events', group: 'g', event: 'e'.repeat(64), command: `p:g/${'e'.repeat(64)} x`, line: null },
        ],
      },
      /bad event name/,
    ],
  ];
  const planted = new Map<string, RegExp>();
  for (const [, override, reason] of cases) {
    const pid = deadPid();
    if (typeof override === 'string') {
      const path = join(dir, `${pid}-1.json`);
      writeFileSync(path, override, { mode: 0o600 });
      planted.set(path, reason);
    } else {
      planted.set(plantRecord(pid, override), reason);
    }
  }
  // A link to a well-formed record kept outside the registry: refused as a link, not followed.
  const linkPid = deadPid();
  symlinkSync(plantRecord(deadPid(), {}, scratch), join(dir, `${linkPid}-1.json`));

  const before = allProbeLines();
  const result = sweepDeadOwners(tracefsRoot());
  for (const [path, reason] of planted) {
    const skipped = result.skipped.find((s) => s.path === path);
    assert.ok(skipped, `${path} skipped`);
    assert.match(skipped.reason, reason);
    assert.ok(existsSync(path), 'an untrusted record is left as it is');
  }
  assert.ok(
    result.skipped.some((s) => s.path.endsWith(`/${linkPid}-1.json`) && /ELOOP|symbolic/.test(s.reason)),
    'links refused',
  );
  assert.deepEqual(allProbeLines(), before);
});

test("a dead owner's record naming a probe that is gone is dropped, with nothing written", () => {
  registryDir();
  // A well-formed record of a dead owner naming a probe that does not exist: the record goes, nothing is written.
  const gone = plantRecord(deadPid(), {
    probes: [
      {
        file: 'uprobe_events',
        group: 'pbtest_gone',
        event: 'e',
        command: 'p:pbtest_gone/e /bin/true:0x10',
        line: null,
      },
    ],
  });
  const before = allProbeLines();
  const result = sweepDeadOwners(tracefsRoot());
  assert.deepEqual(result.removed, []);
  assert.deepEqual(result.failed, []);
  assert.ok(!existsSync(gone));
  assert.deepEqual(allProbeLines(), before);
  assert.deepEqual(scanRegistry(dir).dead, []);
});

/** `PATH:0xOFFSET` of the test program's pb_target, as the kernel takes it (no symbols). */
function targetOffset(): string {
  return `${loadgen()}:0x${resolveUprobeOffset(loadgen(), 'pb_target').offset.toString(16)}`;
}

/** A dead owner's record naming `group/event` with `line` (and that line as its command). */
function plantClaim(group: string, event: string, line: string): string {
  return plantRecord(deadPid(), { probes: [{ file: 'uprobe_events', group, event, command: line, line }] });
}

/** The same line with the uprobe offset moved by 4: another probe point of the same name. */
function movedLine(line: string): string {
  return line.replace(/0x[0-9a-f]+/, (offset) => `0x${(BigInt(offset) + 4n).toString(16).padStart(16, '0')}`);
}

test(
  'the sweep never touches a probe a live owner claims, nor one whose line differs from the record',
  {
    skip: noUprobes,
  },
  () => {
    registryDir();
    const root = tracefsRoot();
    const group = `pbtest_${process.pid}`;
    const session = openSession({ probes: [`p:${group}/held ${loadgen()}:pb_target`] });
    // A probe no live record claims, created below the API (its name is free: checked first).
    assert.deepEqual(probeLinesOf(root, 'uprobe_events', group, 'loose'), []);
    writeProbeCommand(root, 'uprobe_events', `p:${group}/loose ${targetOffset()}`, 'create test probe');
    try {
      const [held] = probeLinesOf(root, 'uprobe_events', group, 'held');
      const [loose] = probeLinesOf(root, 'uprobe_events', group, 'loose');
      assert.ok(held && loose);
      const claimsHeld = plantClaim(group, 'held', held); // exact line, but this process owns it
      const claimsLoose = plantClaim(group, 'loose', movedLine(loose)); // unowned, another line
      const result = sweepDeadOwners(root);
      assert.deepEqual(result.removed, []);
      assert.deepEqual(result.failed, []);
      assert.deepEqual(result.shared, [`${group}:loose`]);
      assert.deepEqual(probeLinesOf(root, 'uprobe_events', group, 'held'), [held]);
      assert.deepEqual(probeLinesOf(root, 'uprobe_events', group, 'loose'), [loose]);
      assert.ok(!existsSync(claimsHeld) && !existsSync(claimsLoose), 'records that describe no probe of theirs go');
    } finally {
      session.close();
      writeProbeCommand(root, 'uprobe_events', `-:${group}/loose`, 'remove test probe');
    }
    assert.deepEqual(session.stats().probesNotRemoved, []);
    assert.ok(!probeLines('uprobe_events').some((l) => l.includes(`:${group}/`)));
  },
);

test('a dead owner record with the exact line of a probe nobody else claims is swept', { skip: noUprobes }, () => {
  registryDir();
  const root = tracefsRoot();
  const group = `pbtest_${process.pid}`;
  assert.deepEqual(probeLinesOf(root, 'uprobe_events', group, 'orphan'), []);
  writeProbeCommand(root, 'uprobe_events', `p:${group}/orphan ${targetOffset()}`, 'create test probe');
  const [orphan] = probeLinesOf(root, 'uprobe_events', group, 'orphan');
  assert.ok(orphan);
  // Saved before its write completed (no line yet): the listed probe point must match the command.
  const pending = plantRecord(deadPid(), {
    probes: [{ file: 'uprobe_events', group, event: 'orphan', command: orphan.replace(/0x0+/, '0x'), line: null }],
  });
  const result = sweepDeadOwners(root);
  assert.deepEqual(result.removed, [`${group}:orphan`]);
  assert.deepEqual(probeLinesOf(root, 'uprobe_events', group, 'orphan'), []);
  assert.ok(!existsSync(pending));
});
