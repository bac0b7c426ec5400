// Feature detection from tracefs README text, and the features definitions need.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  assertSupported,
  missingFeatures,
  parseTracefsReadme,
  PROBE_FEATURES,
  requiredFeatures,
  type ProbeFeature,
} from '../../src/probes/features.js';
import { parse } from '../../src/probes/parse.js';
import { ProbeDefinitionError } from '../../src/probes/errors.js';

// Tests run from .test-build/test/probes; the fixtures stay in the source tree.
const fixtureDir = fileURLToPath(new URL('../../../test/fixtures/tracefs-readme/', import.meta.url));
const readme618 = readFileSync(`${fixtureDir}6.18.txt`, 'utf8');
const readme415 = readFileSync(`${fixtureDir}4.15-handmade.txt`, 'utf8');

test('the 6.18 README (uprobes only, no kprobes) is read correctly', () => {
  const features = parseTracefsReadme(readme618);
  const expected: ProbeFeature[] = [
    'uprobe-events',
    'dynamic-events',
    'kretprobe-maxactive',
    'uprobe-return-suffix',
    'uprobe-ref-ctr',
    'group-only-name',
    'arg-n',
    'return-probe-args',
    'array-types',
    'symbol-type',
    'char-type',
    'ustring-type',
    'user-deref',
    'immediate-value',
    'immediate-string',
    'symstr-type',
    'dentry-types',
  ];
  assert.deepEqual([...features].sort(), [...expected].sort());
  // This kernel has no kprobe_events, and so no kprobe place lines and no fprobes.
  for (const absent of ['kprobe-events', 'kprobe-return-suffix', 'fprobe-events', 'tprobe-events'] as const) {
    assert.equal(features.has(absent), false, absent);
  }
});

test('the hand-made 4.15 README has none of the later features', () => {
  const features = parseTracefsReadme(readme415);
  assert.deepEqual([...features].sort(), ['kprobe-events', 'uprobe-events']);
});

test('type names are only looked for in the probe "type:" paragraph', () => {
  // Histogram triggers document "[unsigned] char/int/long" elsewhere in the README.
  const readme = `${readme415}\n\t    field: <stype> <name>;\n\t    stype: u8/u16/u32/u64, s8/s16/s32/s64, pid_t,\n\t           [unsigned] char/int/long, symbol\n`;
  const features = parseTracefsReadme(readme);
  assert.equal(features.has('char-type'), false);
  assert.equal(features.has('symbol-type'), false);
});

test('fprobe and tprobe lines of a kprobe-enabled kernel are detected', () => {
  const lines = [
    '  kprobe_events\t\t- Create/append/remove/show the kernel dynamic events',
    '\t   Format: p[:[<group>/][<event>]] <place> [<args>]',
    '\t           r[maxactive][:[<group>/][<event>]] <place> [<args>]',
    '\t           f[:[<group>/][<event>]] <func-name>[%return] [<args>]',
    '\t           t[:[<group>/][<event>]] <tracepoint> [<args>]',
    '\t    place: [<module>:]<symbol>[+<offset>]|<memaddr>',
    'place (kretprobe): [<module>:]<symbol>[+<offset>]%return|<memaddr>',
  ].join('\n');
  const features = parseTracefsReadme(lines);
  for (const f of [
    'kprobe-events',
    'fprobe-events',
    'tprobe-events',
    'kprobe-return-suffix',
    'kretprobe-maxactive',
    'group-only-name',
  ] as const) {
    assert.ok(features.has(f), f);
  }
});

test('every feature has a description, a kernel version and a README pattern', () => {
  for (const [name, info] of Object.entries(PROBE_FEATURES)) {
    assert.ok(info.description.length > 0, name);
    assert.match(info.since, /^\d|unverified/, name);
    assert.ok(info.readme instanceof RegExp, name);
  }
});

const NEEDS: readonly (readonly [string, ProbeFeature[]])[] = [
  ['p do_sys_open x=%di', ['kprobe-events']],
  ['r8 vfs_read', ['kprobe-events', 'kretprobe-maxactive']],
  ['p vfs_read%return', ['kprobe-events', 'kprobe-return-suffix']],
  ['p /bin/bash:0x10%return', ['uprobe-events', 'uprobe-return-suffix']],
  ['p /bin/bash:0x10(0x20)', ['uprobe-events', 'uprobe-ref-ctr']],
  ['p:grp/ /bin/bash:0x10', ['uprobe-events', 'group-only-name']],
  [
    'p vfs_read a=$arg1 b=+0($arg2):u8[4] c=%di:symbol d=+0(%si):char',
    ['kprobe-events', 'arg-n', 'array-types', 'symbol-type', 'char-type'],
  ],
  ['r vfs_read a=$arg1', ['kprobe-events', 'arg-n', 'return-probe-args']],
  [
    'p vfs_read a=+u0(%si):ustring b=\\1 c=\\"x"',
    ['kprobe-events', 'ustring-type', 'user-deref', 'immediate-value', 'immediate-string'],
  ],
  ['p vfs_read a=%di:symstr b=$arg1:%pd', ['kprobe-events', 'arg-n', 'symstr-type', 'dentry-types']],
  ['f vfs_read%return', ['fprobe-events']],
  ['t sched_switch', ['tprobe-events']],
];

for (const [text, features] of NEEDS) {
  test(`${JSON.stringify(text)} needs ${features.join(', ')}`, () => {
    assert.deepEqual(requiredFeatures(parse(text)), features);
  });
}

test('assertSupported refuses kprobes on the 6.18 VM kernel and names the config option', () => {
  const features = parseTracefsReadme(readme618);
  assert.throws(
    () => {
      assertSupported(parse('p do_sys_openat2 dfd=$arg1'), features);
    },
    (error: unknown) =>
      error instanceof ProbeDefinitionError &&
      error.code === 'UNSUPPORTED_FEATURE' &&
      error.message.includes(
        "kprobe events (CONFIG_KPROBE_EVENTS, file kprobe_events) ['kprobe-events', Linux 2.6.33]",
      ) &&
      error.message.includes('built without kprobe-events'),
  );
  assertSupported(parse('r:g/rl /bin/bash:0x4245c0%return(0x10) line=+0($retval):string n=\\"x"'), features);
});

test('assertSupported names each missing feature with the kernel it arrived in', () => {
  const features = parseTracefsReadme(readme415);
  const def = parse('p:g/e /bin/bash:0x10%return(0x20) s=+u0(%di):ustring a=+0(%si):u8[4]');
  assert.deepEqual(missingFeatures(def, features), [
    'uprobe-return-suffix',
    'uprobe-ref-ctr',
    'array-types',
    'ustring-type',
    'user-deref',
  ]);
  assert.throws(() => {
    assertSupported(def, features);
  }, /PATH:OFFSET%return \['uprobe-return-suffix', Linux 5\.10\].*\['uprobe-ref-ctr', Linux 4\.20\].*\['array-types', Linux 4\.20\].*\['ustring-type', Linux 5\.3\].*\['user-deref', Linux 5\.3\].*hint: rewrite the definition/s);
  assertSupported(parse('r /bin/bash:0x10 ret=$retval s=+0(%di):string b=%si:b3@0/8'), features);
});
