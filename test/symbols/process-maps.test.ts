/**
 * ProcessMappings: the side-band bookkeeping (mapped/forked/exec/exited) on synthetic mappings of
 * pids no process can have, and seeding from /proc on a running stack_target.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';

import { parseExecutableMaps, ProcessMappings, type Mapping } from '../../src/symbols/process-maps.js';
import { startTarget, stackTarget, stopTarget } from '../helpers/stack-target.js';

/** Above the kernel's largest pid_max (2^22): /proc never has these, so seeding finds nothing. */
const NO_SUCH_PID = 5_000_000;

function mapping(start: number, end: number, path = '/synthetic/lib.so', pageOffset = 0): Mapping {
  return {
    start: BigInt(start),
    end: BigInt(end),
    pageOffset: BigInt(pageOffset),
    path,
    major: 8,
    minor: 1,
    inode: 42n,
  };
}

describe('parseExecutableMaps', () => {
  test('keeps executable file mappings and [vdso], drops the rest, strips " (deleted)"', () => {
    const text = [
      '55d0c0a00000-55d0c0a01000 r--p 00000000 08:01 1234 /usr/bin/prog',
      '55d0c0a01000-55d0c0a02000 r-xp 00001000 08:01 1234 /usr/bin/prog',
      '7f0000000000-7f0000010000 rwxp 00000000 00:00 0 ',
      '7f0000020000-7f0000030000 r-xp 00002000 fd:02 99 /opt/my app/lib.so (deleted)',
      '7ffd1a5f0000-7ffd1a5f2000 r-xp 00000000 00:00 0                          [vdso]',
      'ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]',
      '',
    ].join('\n');
    assert.deepEqual(parseExecutableMaps(text), [
      {
        start: 0x55d0c0a01000n,
        end: 0x55d0c0a02000n,
        pageOffset: 0x1000n,
        major: 8,
        minor: 1,
        inode: 1234n,
        path: '/usr/bin/prog',
      },
      {
        start: 0x7f0000020000n,
        end: 0x7f0000030000n,
        pageOffset: 0x2000n,
        major: 0xfd,
        minor: 2,
        inode: 99n,
        path: '/opt/my app/lib.so',
      },
      { start: 0x7ffd1a5f0000n, end: 0x7ffd1a5f2000n, pageOffset: 0n, major: 0, minor: 0, inode: 0n, path: '[vdso]' },
    ]);
  });
});

describe('ProcessMappings bookkeeping', () => {
  test('find returns the mapping holding the address; the end is exclusive', () => {
    const maps = new ProcessMappings();
    const pid = NO_SUCH_PID;
    maps.mapped(pid, mapping(0x3000, 0x4000, '/b'));
    maps.mapped(pid, mapping(0x1000, 0x2000, '/a'));
    assert.equal(maps.find(pid, 0x1000n)?.path, '/a');
    assert.equal(maps.find(pid, 0x1fffn)?.path, '/a');
    assert.equal(maps.find(pid, 0x2000n), undefined);
    assert.equal(maps.find(pid, 0x3800n)?.path, '/b');
    assert.equal(maps.find(pid, 0xfffn), undefined);
    assert.equal(maps.find(pid, 0x4000n), undefined);
    assert.deepEqual(
      maps.mappings(pid).map((m) => m.path),
      ['/a', '/b'],
    );
  });

  test('a new mapping replaces what it overlaps, keeping the uncovered head and tail', () => {
    const maps = new ProcessMappings();
    const pid = NO_SUCH_PID + 1;
    maps.mapped(pid, mapping(0x1000, 0x5000, '/old', 0x10000));
    maps.mapped(pid, mapping(0x7000, 0x8000, '/covered'));
    maps.mapped(pid, mapping(0x2000, 0x3000, '/new'));
    maps.mapped(pid, mapping(0x6000, 0x9000, '/over'));
    assert.deepEqual(
      maps.mappings(pid).map((m) => [m.start, m.end, m.pageOffset, m.path]),
      [
        [0x1000n, 0x2000n, 0x10000n, '/old'],
        [0x2000n, 0x3000n, 0n, '/new'],
        [0x3000n, 0x5000n, 0x12000n, '/old'],
        [0x6000n, 0x9000n, 0n, '/over'],
      ],
    );
  });

  test("a forked child starts with its parent's mappings; later changes stay apart", () => {
    const maps = new ProcessMappings();
    const parent = NO_SUCH_PID + 2;
    const child = NO_SUCH_PID + 3;
    maps.mapped(parent, mapping(0x1000, 0x2000, '/bin/sh'));
    maps.forked(parent, child);
    assert.equal(maps.find(child, 0x1800n)?.path, '/bin/sh');
    maps.mapped(child, mapping(0x5000, 0x6000, '/child.so'));
    maps.mapped(parent, mapping(0x7000, 0x8000, '/parent.so'));
    assert.equal(maps.find(parent, 0x5800n), undefined);
    assert.equal(maps.find(child, 0x7800n), undefined);
    assert.equal(maps.find(child, 0x5800n)?.path, '/child.so');
    maps.exec(child);
    assert.equal(maps.find(child, 0x1800n), undefined, 'exec drops the old image');
    assert.equal(maps.find(parent, 0x1800n)?.path, '/bin/sh', "the child's exec leaves the parent alone");
    maps.mapped(child, mapping(0x1000, 0x3000, '/usr/bin/new'));
    assert.equal(maps.find(child, 0x2800n)?.path, '/usr/bin/new');
  });

  test('a thread (child pid = parent pid) changes nothing', () => {
    const maps = new ProcessMappings();
    const pid = NO_SUCH_PID + 4;
    maps.mapped(pid, mapping(0x1000, 0x2000));
    maps.forked(pid, pid);
    assert.equal(maps.mappings(pid).length, 1);
  });

  test('exited processes keep their mappings until maxExited later exits', () => {
    const maps = new ProcessMappings({ maxExited: 2 });
    const pids = [NO_SUCH_PID + 10, NO_SUCH_PID + 11, NO_SUCH_PID + 12];
    for (const pid of pids) maps.mapped(pid, mapping(0x1000, 0x2000, `/p${pid}`));
    maps.exited(pids[0]!);
    maps.exited(pids[1]!);
    assert.equal(maps.find(pids[0]!, 0x1000n)?.path, `/p${pids[0]}`, 'still there after its exit');
    maps.exited(pids[2]!);
    assert.equal(maps.knows(pids[0]!), false, 'the oldest exit is forgotten');
    assert.equal(maps.find(pids[1]!, 0x1000n)?.path, `/p${pids[1]}`);
    assert.equal(maps.find(pids[2]!, 0x1000n)?.path, `/p${pids[2]}`);
    // Asking again reads /proc, which has no such process: nothing, remembered as gone.
    assert.equal(maps.find(pids[0]!, 0x1000n), undefined);
    assert.equal(maps.knows(pids[0]!), true);
  });

  test('a reused pid (forked again after its exit) is no longer queued for forgetting', () => {
    const maps = new ProcessMappings({ maxExited: 1 });
    const parent = NO_SUCH_PID + 20;
    const reused = NO_SUCH_PID + 21;
    maps.mapped(parent, mapping(0x1000, 0x2000, '/parent'));
    maps.mapped(reused, mapping(0x1000, 0x2000, '/first'));
    maps.exited(reused);
    maps.forked(parent, reused);
    maps.exited(NO_SUCH_PID + 22);
    maps.mapped(NO_SUCH_PID + 23, mapping(0x1000, 0x2000));
    maps.exited(NO_SUCH_PID + 23);
    assert.equal(maps.find(reused, 0x1000n)?.path, '/parent');
  });
});

describe('ProcessMappings on a running process', () => {
  const binary = stackTarget();

  test('find seeds from /proc: the printed addresses lie in the binary and in libc', async () => {
    const target = await startTarget(binary);
    try {
      const maps = new ProcessMappings();
      const [outer, inner, probeMe, getpid] = target.addresses;
      for (const ip of [outer!, inner!, probeMe!]) {
        const m = maps.find(target.pid, ip);
        assert.ok(m, `0x${ip.toString(16)} is mapped`);
        assert.equal(m.path, realpathSync(binary));
        assert.ok(m.start <= ip && ip < m.end);
        assert.ok(m.inode > 0n);
      }
      const libc = maps.find(target.pid, getpid!);
      assert.ok(libc, 'getpid is mapped');
      assert.match(libc.path, /\/libc[.-][^/]*$/);
      assert.ok(maps.mappings(target.pid).every((m) => m.start < m.end));
    } finally {
      await stopTarget(target);
    }
  });

  test('an exited process still resolves when it was found before', async () => {
    const target = await startTarget(binary);
    const maps = new ProcessMappings();
    const probeMe = target.addresses[2]!;
    assert.ok(maps.find(target.pid, probeMe));
    await stopTarget(target);
    maps.exited(target.pid);
    assert.equal(maps.find(target.pid, probeMe)?.path, realpathSync(binary));
    // A fresh table has no history, and the process is gone from /proc.
    assert.equal(new ProcessMappings().find(target.pid, probeMe), undefined);
  });

  test('seed replaces what was known with what /proc says now', async () => {
    const target = await startTarget(binary);
    try {
      const maps = new ProcessMappings();
      maps.mapped(target.pid, mapping(0x1000, 0x2000, '/not/really'));
      maps.seed(target.pid);
      assert.equal(maps.find(target.pid, 0x1000n), undefined);
      assert.ok(maps.find(target.pid, target.addresses[0]!));
    } finally {
      await stopTarget(target);
    }
  });
});
