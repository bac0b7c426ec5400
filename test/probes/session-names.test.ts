// The event names and labels a session gives probes that name none (the kernel's own are in names.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { kprobe, kretprobe, uprobe, uretprobe, fexit } from '../../src/probes/builder.js';
import type { AnyProbeDefinition } from '../../src/probes/definition.js';
import { checkName } from '../../src/probes/names.js';
import { parse } from '../../src/probes/parse.js';
import { print } from '../../src/probes/print.js';
import { resolveUprobeSymbols } from '../../src/probes/resolve.js';
import {
  defaultLabel,
  nameSessionProbes,
  probeKindWord,
  rememberSymbol,
  sessionEventName,
} from '../../src/probes/session-names.js';

const GROUP = 'perfbridge_1_0';

/** The GROUP/EVENT each probe gets. */
function names(probes: readonly { label?: string; definition: AnyProbeDefinition }[]): string[] {
  return nameSessionProbes(probes, GROUP).map(({ definition }) => `${definition.groupName}/${definition.eventName}`);
}

test('each kind and direction has its word', () => {
  assert.deepEqual(
    [
      kprobe('vfs_read'),
      kretprobe('vfs_read'),
      uprobe('/bin/true', 0x10),
      uretprobe('/bin/true', 0x10),
      parse('f vfs_read'),
      fexit('vfs_read'),
      parse('t sched_switch'),
    ].map(probeKindWord),
    ['kprobe', 'kretprobe', 'uprobe', 'uretprobe', 'fentry', 'fexit', 'tprobe'],
  );
});

test('an entry and a return probe on one symbol get different names, with or without labels', () => {
  assert.deepEqual(names([{ definition: uprobe('/srv/app', 'work') }, { definition: uretprobe('/srv/app', 'work') }]), [
    `${GROUP}/uprobe_work`,
    `${GROUP}/uretprobe_work`,
  ]);
  assert.deepEqual(
    names([
      { label: 'start', definition: uprobe('/srv/app', 'work') },
      { label: 'done', definition: uretprobe('/srv/app', 'work') },
    ]),
    [`${GROUP}/uprobe_start`, `${GROUP}/uretprobe_done`],
  );
});

test('names come from the label, else the place; every one is a valid event name', () => {
  const cases: [string | undefined, AnyProbeDefinition, string][] = [
    ['open file', kprobe('do_sys_openat2'), 'kprobe_open_file'],
    ['1st', kprobe('vfs_read'), 'kprobe_1st'],
    ['---', kprobe('vfs_read'), 'kprobe'],
    [undefined, parse('p ext4:ext4_file_open.isra.0+4'), 'kprobe_ext4_ext4_file_open_isra_0_0x4'],
    [undefined, kretprobe(0xffffffff81000000n), 'kretprobe_0xffffffff81000000'],
    [undefined, uprobe('/lib/libc.so.6', 'malloc@@GLIBC_2.2.5'), 'uprobe_malloc_GLIBC_2_2_5'],
    [undefined, uprobe('/usr/bin/python3.11', 0x10), 'uprobe_python3_11_0x10'],
    [undefined, parse('t 9p_client_req'), 'tprobe_9p_client_req'],
    ['x'.repeat(100), kprobe('vfs_read'), `kprobe_${'x'.repeat(56)}`],
  ];
  for (const [label, definition, name] of cases) {
    const got = sessionEventName(definition, label);
    assert.equal(got, name, String(label));
    checkName(got, 'event');
  }
});

test('a resolved uprobe is named after the symbol it was placed by', () => {
  const original = uprobe('/lib/libc.so.6', 'malloc+4');
  const resolved = resolveUprobeSymbols(original, () => 0x9a0e4);
  assert.equal(sessionEventName(resolved), 'uprobe_libc_so_6_0x9a0e4', 'without the note, the offset');
  assert.equal(sessionEventName(rememberSymbol(resolved, original)), 'uprobe_malloc_0x4');
});

test('defaults are unique in the session and never take a name the user gave', () => {
  const same = { definition: kprobe('vfs_read') };
  assert.deepEqual(names([same, same, { definition: kprobe('vfs_read').event('kprobe_vfs_read') }, same]), [
    `${GROUP}/kprobe_vfs_read_2`,
    `${GROUP}/kprobe_vfs_read_3`,
    `${GROUP}/kprobe_vfs_read`,
    `${GROUP}/kprobe_vfs_read_4`,
  ]);
  // Uniqueness is per group: a user-named group may hold the same event name.
  assert.deepEqual(names([same, { definition: kprobe('vfs_read').group('mine') }]), [
    `${GROUP}/kprobe_vfs_read`,
    'mine/kprobe_vfs_read',
  ]);
  // A suffix still fits in 63 characters.
  const long = { label: 'y'.repeat(80), definition: kprobe('vfs_read') };
  const [first, second] = names([long, long]);
  assert.equal(first!.length - GROUP.length - 1, 63);
  assert.ok(second!.endsWith('_2') && second!.length - GROUP.length - 1 === 63, second);
});

test('named definitions print with their names; the label defaults to the event name in the own group', () => {
  const [own, mine] = nameSessionProbes(
    [{ definition: parse('r do_sys_openat2') }, { definition: parse('p:mine/ do_sys_openat2') }],
    GROUP,
  );
  assert.equal(print(own!.definition), `r:${GROUP}/kretprobe_do_sys_openat2 do_sys_openat2`);
  assert.equal(defaultLabel(own!.definition, GROUP), 'kretprobe_do_sys_openat2');
  assert.equal(defaultLabel(mine!.definition, GROUP), 'mine:kprobe_do_sys_openat2');
});
