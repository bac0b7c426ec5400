// Default names as the kernel generates them (perf-bridge's own are in session-names.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultEventName, kernelDefaultGroup, namesOf, sanitizeEventName } from '../../src/probes/names.js';
import { parse } from '../../src/probes/parse.js';
import { print, printDeleteCommand, probeEventsFile } from '../../src/probes/print.js';
import { isResolved, resolveUprobeSymbols } from '../../src/probes/resolve.js';

const DEFAULTS: readonly (readonly [string, string])[] = [
  ['p do_sys_open', 'p_do_sys_open_0'],
  ['r do_sys_open', 'r_do_sys_open_0'],
  ['p do_sys_open+0x10', 'p_do_sys_open_16'],
  ['p vfs_read%return', 'r_vfs_read_0'],
  ['p ext4:ext4_file_open.isra.0+4', 'p_ext4_ext4_file_open_isra_0_4'],
  ['p 0xffffffff81000000', 'p_0xffffffff81000000'],
  ['p /bin/bash:0x4245c0', 'p_bash_0x4245c0'],
  // The kernel writes 'p' for uprobe return probes too.
  ['r /bin/bash:0x4245c0', 'p_bash_0x4245c0'],
  ['p /usr/lib/x86_64-linux-gnu/libc.so.6:0x1234', 'p_libc_0x1234'],
  ['p /usr/bin/python3.11:0x10', 'p_python3_0x10'],
  ['p /opt/my-tool:0x10', 'p_my_0x10'],
  ['f vfs_read', 'vfs_read__entry'],
  ['f vfs_read%return', 'vfs_read__exit'],
  ['f ext4:ext4_file_open', 'ext4_ext4_file_open__entry'],
  ['t sched_switch', 'sched_switch'],
  ['t 9p_client_req', '_9p_client_req'],
];

for (const [text, name] of DEFAULTS) {
  test(`the kernel names ${JSON.stringify(text)} '${name}'`, () => {
    assert.equal(defaultEventName(parse(text)), name);
  });
}

test('generated names are cut to 63 characters like snprintf(MAX_EVENT_NAME_LEN)', () => {
  const name = defaultEventName(parse(`p ${'a'.repeat(80)}`));
  assert.equal(name.length, 63);
  assert.ok(name.startsWith('p_aaa'));
});

test('sanitizing keeps the first character', () => {
  assert.equal(sanitizeEventName('.a:b.c*d'), '.a_b_c_d');
});

test('the kernel default groups', () => {
  assert.deepEqual(
    ['kprobe', 'uprobe', 'fprobe', 'tprobe'].map((k) => kernelDefaultGroup(k as 'kprobe')),
    ['kprobes', 'uprobes', 'fprobes', 'tracepoints'],
  );
});

test("namesOf gives the definition's names, else the default group and the kernel's event name", () => {
  assert.deepEqual(namesOf(parse('p do_sys_open x=%di'), 'perfbridge_1234'), {
    group: 'perfbridge_1234',
    event: 'p_do_sys_open_0',
  });
  assert.deepEqual(namesOf(parse('p:mine/ev do_sys_open'), 'perfbridge_1'), { group: 'mine', event: 'ev' });
  assert.deepEqual(namesOf(parse('p:mine/ do_sys_open')), { group: 'mine', event: 'p_do_sys_open_0' });
  assert.deepEqual(namesOf(parse('p /bin/bash:0x10')), { group: 'uprobes', event: 'p_bash_0x10' });
  assert.throws(() => namesOf(parse('p /tmp/a+b:0x10')), /event name 'p_a\+b_0x10' is not a valid C identifier/);
  assert.throws(() => namesOf(parse('p do_sys_open'), 'bad-group'), /not a valid C identifier/);
});

test('PATH:SYMBOL uprobes are resolved through the injected resolver', () => {
  const calls: unknown[] = [];
  const def = parse('p:g/m /lib/libc.so.6:malloc+4(0x40) size=%di');
  assert.equal(isResolved(def), false);
  assert.throws(() => defaultEventName(def), /resolve the symbol first/);
  const resolved = resolveUprobeSymbols(def, (path, symbol, offset) => {
    calls.push([path, symbol, offset]);
    return 0x9a0e4;
  });
  assert.deepEqual(calls, [['/lib/libc.so.6', 'malloc', 4]]);
  assert.equal(isResolved(resolved), true);
  assert.equal(print(resolved), 'p:g/m /lib/libc.so.6:0x9a0e4(0x40) size=%di');
  assert.throws(() => resolveUprobeSymbols(def, () => -1), /not a file offset/);
  const kp = parse('p vfs_read');
  assert.equal(
    resolveUprobeSymbols(kp, () => 0),
    kp,
  );
});

test('print() errors show the text the definition stands for, with a caret', () => {
  const bad = {
    kind: 'kprobe',
    isReturn: false,
    eventName: 'ev',
    location: { type: 'ksym', symbol: 'vfs_read', offset: 0 },
    args: [
      { name: 'a', fetch: { op: 'reg', name: 'di' } },
      { name: 'b', fetch: { op: 'reg', name: 'rsi' } },
    ],
  } as const;
  assert.throws(
    () => print(bad),
    (e: unknown) =>
      e instanceof Error &&
      (e as { position?: number }).position === 20 &&
      e.message.includes('in: "p:ev vfs_read a=%di b=%rsi"') &&
      e.message.includes('write %si'),
  );
});

test('delete commands and target files', () => {
  assert.equal(printDeleteCommand({ group: 'perfbridge_1', event: 'open' }), '-:perfbridge_1/open');
  assert.throws(() => printDeleteCommand({ group: 'a b', event: 'x' }), /not a valid C identifier/);
  assert.equal(probeEventsFile(parse('p vfs_read')), 'kprobe_events');
  assert.equal(probeEventsFile(parse('p /bin/sh:0x1')), 'uprobe_events');
  assert.equal(probeEventsFile(parse('f vfs_read')), 'dynamic_events');
});
