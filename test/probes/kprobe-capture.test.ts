/**
 * Kprobes and kretprobes for real. This machine's kernel has no kprobes, so here these skip; the
 * kernel-VM suite (test/kernel) runs them inside Debian's 6.1 and 6.12 kernels.
 */
import assert from 'node:assert/strict';
import { closeSync, existsSync, mkdtempSync, openSync, constants as fs, readFileSync, rmSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { inspect } from 'node:util';

import { KernelError } from '../../src/errors.js';
import { ProbeDefinitionError } from '../../src/probes/errors.js';
import { kprobe, kretprobe } from '../../src/probes/builder.js';
import { comm, deref, reg, retval } from '../../src/probes/fetch.js';
import { openSession } from '../../src/session/session.js';
import { tracefsRoot } from '../../src/tracefs/mount.js';
import { byTime } from '../helpers/time-order.js';
import { probeLines } from '../helpers/tracefs-state.js';

const noKprobes = !existsSync(join(tracefsRoot(), 'kprobe_events')) && 'kernel has no kprobe_events';
const O_ACCMODE = 3;
const FLAG_MASK = O_ACCMODE | fs.O_CREAT | fs.O_APPEND | fs.O_TRUNC | fs.O_EXCL;
/**
 * Opens a probe listing makes inside the capture window: reading `kprobe_events` is one openat()
 * of this thread, seen by every probe on the open path like the opens of openSome().
 */
const LISTING_OPENS = 1;

/** An event as these tests look at it. */
interface CapturedEvent {
  event: string;
  fields: Record<string, unknown>;
  pid: number;
  time: bigint;
}

/** Opens files with distinct flags (one missing) on this thread; returns what each open gave. */
function openSome(dir: string): { path: string; flags: number; fd: number }[] {
  const plan = [
    { path: join(dir, 'created'), flags: fs.O_WRONLY | fs.O_CREAT | fs.O_EXCL },
    { path: join(dir, 'created'), flags: fs.O_RDONLY },
    { path: join(dir, 'created'), flags: fs.O_RDWR | fs.O_APPEND },
    { path: join(dir, 'created'), flags: fs.O_WRONLY | fs.O_TRUNC },
    { path: join(dir, 'missing-ünï'), flags: fs.O_RDONLY },
  ];
  return plan.map(({ path, flags }) => {
    let fd: number;
    try {
      fd = openSync(path, flags, 0o600);
      closeSync(fd);
    } catch (error) {
      fd = (error as { errno: number }).errno; // Node's errno is negative: what the syscall returned
    }
    return { path, flags, fd };
  });
}

/**
 * Runs `work` with a session on the probes for this process, keeps this thread's events (pid covers
 * every thread, Node's helpers included), and returns them in time order. The thread does nothing
 * but `work` while the events are enabled (its own syscalls, synchronously), so the events are
 * exactly those of `work`.
 */
function capture<T>(
  options: Parameters<typeof openSession>[0],
  work: () => T,
): {
  result: T;
  events: CapturedEvent[];
  stats: ReturnType<ReturnType<typeof openSession>['stats']>;
} {
  const session = openSession({ pid: process.pid, inherit: false, ...options });
  const events: CapturedEvent[] = [];
  session.onBatch((batch) => {
    events.push(...batch.filter((event) => event.tid === process.pid));
  });
  session.start();
  let result: T;
  try {
    result = work();
  } finally {
    session.stop(); // drains the rings: every event is delivered before this returns
  }
  const stats = session.stats();
  session.close();
  return { result, events: events.sort(byTime), stats };
}

function withTempDir<T>(work: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'perf-bridge-kprobe-'));
  try {
    return work(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const openPathTitle = 'kprobe on the open path: nested string dereference, flags, $comm — every path seen';
test(openPathTitle, { skip: noKprobes }, () => {
  // do_filp_open(int dfd, struct filename *pathname, const struct open_flags *op):
  // pathname->name is its first member, op->open_flag the first int of *op.
  const open = kprobe('do_filp_open')
    .arg('path', deref(deref(reg('si'))).as('string'))
    .arg('flags', deref(reg('dx')).as('x32'))
    .arg('task', comm());
  const { result: opened, events } = withTempDir((dir) => capture({ probes: { open } }, () => openSome(dir)));
  assert.equal(events.length, opened.length, `one do_filp_open per open: ${inspect(events.map((e) => e.fields))}`);
  const myComm = readFileSync('/proc/self/comm', 'utf8').trim();
  opened.forEach((expected, i) => {
    const fields = events[i]!.fields as { path: string; flags: number; task: string };
    assert.equal(fields.path, expected.path);
    assert.equal(fields.flags & FLAG_MASK, expected.flags & FLAG_MASK, `flags of open ${i}`);
    assert.equal(fields.task, myComm);
  });
});

test('a kprobe filter on a string and a flag bit keeps exactly the opens it matches', { skip: noKprobes }, () => {
  const open = kprobe('do_filp_open')
    .arg('path', deref(deref(reg('si'))).as('string'))
    .arg('flags', deref(reg('dx')).as('x32'))
    .filter('path ~ "*/created" && flags & 1');
  const { result: opened, events } = withTempDir((dir) => capture({ probes: { open } }, () => openSome(dir)));
  // Ground truth from the plan: the opens of .../created for writing only (O_WRONLY is 1).
  const expected = opened.filter((o) => o.path.endsWith('/created') && (o.flags & 1) === 1);
  assert.equal(expected.length, 2);
  assert.deepEqual(
    events.map((e) => e.fields.path),
    expected.map((o) => o.path),
  );
});

test('kretprobe $retval gives each open its result; maxactive is passed to the kernel', { skip: noKprobes }, () => {
  const ret = kretprobe('do_sys_openat2', { maxactive: 16 }).arg('ret', retval().as('s64'));
  let listed: string[] = [];
  const {
    result: opened,
    events,
    stats,
  } = withTempDir((dir) =>
    capture({ probes: { ret } }, () => {
      listed = probeLines('kprobe_events').filter((line) => line.includes(`:perfbridge_${process.pid}_`));
      return openSome(dir);
    }),
  );
  assert.equal(listed.length, 1);
  assert.match(listed[0]!, /^r16:perfbridge_\d+_\d+\/kretprobe_ret do_sys_openat2 ret=\$retval:s64$/);
  const returns = events.map((e) => e.fields.ret as bigint);
  // First the listing's open (an fd), then each of openSome()'s with exactly its result.
  assert.equal(returns.length, LISTING_OPENS + opened.length, `returns ${returns.join(',')}`);
  assert.ok(returns[0]! >= 0n, `the listing was opened: ${returns[0]}`);
  assert.deepEqual(
    returns.slice(LISTING_OPENS),
    opened.map((o) => BigInt(o.fd)),
  );
  assert.ok(returns.includes(-2n), 'the missing file returned -ENOENT');
  assert.equal(stats.probes.ret?.misses, 0, 'no kretprobe instance ran out');
  // kprobe_profile counts the hits of every process, not only this thread's.
  assert.ok(stats.probes.ret.hits >= returns.length, `${stats.probes.ret.hits} hits`);
});

test("@SYM reads kernel memory: linux_banner is the running kernel's banner", { skip: noKprobes }, () => {
  const { result: opened, events } = withTempDir((dir) =>
    capture({ probes: [`p:pbkp_${process.pid}/banner do_sys_openat2 banner=@linux_banner:string`] }, () =>
      openSome(dir),
    ),
  );
  assert.equal(events.length, opened.length, 'one event per open');
  for (const event of events) {
    assert.equal(event.event, `pbkp_${process.pid}:banner`);
    assert.match(event.fields.banner as string, new RegExp(`^Linux version ${release().replace(/[.+]/g, '\\$&')} `));
  }
});

test(
  'perf_kprobe PMU: kprobe and kretprobe without tracefs entries, gone with the fd',
  { skip: noKprobes || (!existsSync('/sys/bus/event_source/devices/kprobe') && 'kernel has no perf_kprobe PMU') },
  () => {
    const before = probeLines('kprobe_events');
    let during: string[] = [];
    const { result: opened, events } = withTempDir((dir) =>
      capture({ probes: { enter: 'p do_sys_openat2', leave: 'r do_sys_openat2' }, kprobePmu: true }, () => {
        during = probeLines('kprobe_events');
        return openSome(dir);
      }),
    );
    assert.deepEqual(during, before, 'nothing written to kprobe_events');
    const enters = events.filter((e) => e.event === 'enter');
    const leaves = events.filter((e) => e.event === 'leave');
    assert.equal(enters.length, LISTING_OPENS + opened.length, 'an entry per open, the listing read included');
    assert.equal(leaves.length, enters.length, 'a return per entry');
    for (const e of enters) assert.ok((e.fields.__probe_ip as bigint) > 0xffff000000000000n, 'a kernel text address');
    for (const e of leaves) assert.ok((e.fields.__probe_func as bigint) > 0xffff000000000000n);
    assert.deepEqual(probeLines('kprobe_events'), before);
  },
);

test(
  'kernel refusals come with errno, a hint and the error_log caret; nothing is left behind',
  { skip: noKprobes },
  () => {
    const before = probeLines('kprobe_events');
    // The errno for one mistake differs between kernels (6.1 ENOENT, 6.12 EINVAL); the error_log
    // message does not, and the hint follows it.
    const cases: [string, string[], RegExp, RegExp][] = [
      [
        'p:pbkp/nosym no_such_function_at_all',
        ['ENOENT', 'EINVAL'],
        /Invalid probed address or symbol/,
        /no such symbol, or its module is not loaded/,
      ],
      ['p:pbkp/middle do_sys_openat2+1', ['EILSEQ'], /not an instruction boundary/, /not on an instruction boundary/],
      [
        'p:pbkp/dup name_show',
        ['EADDRNOTAVAIL', 'EINVAL'],
        /The symbol is not unique/,
        /several kernel functions share this name/,
      ],
    ];
    for (const [definition, codes, log, hint] of cases) {
      assert.throws(
        () => openSession({ probes: [definition] }),
        (error: unknown) => {
          assert.ok(error instanceof KernelError, `${definition}: ${String(error)}`);
          assert.ok(codes.includes(error.code), `${definition}: ${error.code}`);
          assert.equal(error.syscall, 'write');
          assert.match(error.errorLog ?? '', log);
          assert.match(error.errorLog ?? '', new RegExp(`Command: ${definition.replace(/[+]/g, '\\+')}\n\\s*\\^`));
          assert.match(error.message, hint);
          return true;
        },
      );
    }
    assert.deepEqual(probeLines('kprobe_events'), before);
  },
);

test(
  'a module symbol: an unloaded module is refused before writing; a missing symbol by the kernel',
  { skip: noKprobes },
  () => {
    const before = probeLines('kprobe_events');
    assert.throws(
      () => openSession({ probes: ['p:pbkp/modfunc no_such_module_xyz:some_function'] }),
      (error: unknown) => {
        assert.ok(error instanceof ProbeDefinitionError, String(error));
        assert.equal(error.code, 'MODULE_NOT_LOADED');
        assert.match(error.message, /module no_such_module_xyz is not loaded/);
        assert.match(error.message, /hint: load it first \(modprobe no_such_module_xyz\)/);
        return true;
      },
    );
    // The VMs load 9p as a module; a symbol it does not have is the kernel's to refuse.
    if (existsSync('/sys/module/9p')) {
      assert.throws(
        () => openSession({ probes: ['p:pbkp/modsym 9p:no_such_function_in_9p'] }),
        (error: unknown) => {
          assert.ok(error instanceof KernelError, String(error));
          assert.ok(['ENOENT', 'EINVAL'].includes(error.code), error.code);
          assert.match(error.message, /no such symbol, or its module is not loaded/);
          return true;
        },
      );
    }
    assert.deepEqual(probeLines('kprobe_events'), before);
  },
);
