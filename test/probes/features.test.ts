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
  const histogram = [
    '\t    field: <stype> <name>;',
    '\t    stype: u8/u16/u32/u64, s8/s16/s32/s64, pid_t,',
    '\t           [unsigned] char/int/long, symbol',
  ];
  const readme = `${readme415}\n${histogram.join('\n')}\n`;
  const features = parseTracefsReadme(readme);
  assert.equal(features.has('char-type'), false);
  assert.equal(features.has('symbol-type'), false);
});

/** The kprobe lines of a recent kernel's README, which the 6.18 fixture (built without kprobes) lacks. */
const KPROBE_README_LINES = [
  '  kprobe_events\t\t- Create/append/remove/show the kernel dynamic events',
  '\t   Format: p[:[<group>/][<event>]] <place> [<args>]',
  '\t           r[maxactive][:[<group>/][<event>]] <place> [<args>]',
  '\t           f[:[<group>/][<event>]] <func-name>[%return] [<args>]',
  '\t           t[:[<group>/][<event>]] <tracepoint> [<args>]',
  '\t    place: [<module>:]<symbol>[+<offset>]|<memaddr>',
  'place (kretprobe): [<module>:]<symbol>[+<offset>]%return|<memaddr>',
].join('\n');

test('fprobe and tprobe lines of a kprobe-enabled kernel are detected', () => {
  const features = parseTracefsReadme(KPROBE_README_LINES);
  assert.deepEqual([...features].sort(), [
    'fprobe-events',
    'group-only-name',
    'kprobe-events',
    'kprobe-return-suffix',
    'kretprobe-maxactive',
    'tprobe-events',
  ]);
});

test('every feature is shown by one of the READMEs above, and says what it is and since when', () => {
  const shown = new Set([
    ...parseTracefsReadme(readme618),
    ...parseTracefsReadme(readme415),
    ...parseTracefsReadme(KPROBE_README_LINES),
  ]);
  // 17 from 6.18; kprobe_events, %return on kprobes, fprobes and tprobes from the kprobe lines.
  assert.deepEqual(Object.keys(PROBE_FEATURES).sort(), [...shown].sort());
  assert.equal(shown.size, 21);
  const descriptions = new Set(Object.values(PROBE_FEATURES).map((info) => info.description));
  assert.equal(descriptions.size, shown.size, 'every feature has its own description');
  for (const [name, info] of Object.entries(PROBE_FEATURES)) {
    assert.match(info.description, /^\S.*\S$/, name);
    assert.match(info.since, /^(?:\d+\.\d+(?:\.\d+)?|unverified \(.+\))$/, name);
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
  const named = [
    String.raw`PATH:OFFSET%return \['uprobe-return-suffix', Linux 5\.10\]`,
    String.raw`\['uprobe-ref-ctr', Linux 4\.20\]`,
    String.raw`\['array-types', Linux 4\.20\]`,
    String.raw`\['ustring-type', Linux 5\.3\]`,
    String.raw`\['user-deref', Linux 5\.3\]`,
    'hint: rewrite the definition',
  ];
  assert.throws(
    () => {
      assertSupported(def, features);
    },
    new RegExp(named.join('.*'), 's'),
  );
  assertSupported(parse('r /bin/bash:0x10 ret=$retval s=+0(%di):string b=%si:b3@0/8'), features);
});
