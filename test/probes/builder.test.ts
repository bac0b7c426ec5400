// Runtime behaviour of the builder: it produces the same model as the parser,
// checks arguments as they are added, and stays immutable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  fentry,
  fexit,
  fromDefinition,
  kprobe,
  kretprobe,
  tprobe,
  uprobe,
  uretprobe,
} from '../../src/probes/builder.js';
import { plainDefinition } from '../../src/probes/definition.js';
import {
  arg,
  atAddress,
  atFileOffset,
  atSymbol,
  comm,
  deref,
  imm,
  immString,
  reg,
  retval,
  stack,
  stackPointer,
  uderef,
} from '../../src/probes/fetch.js';
import { parse } from '../../src/probes/parse.js';
import { print } from '../../src/probes/print.js';
import { ProbeDefinitionError } from '../../src/probes/errors.js';

test('the example from the brief prints the expected kprobe', () => {
  const def = kprobe('do_sys_openat2')
    .arg('filename', deref(reg('si'), 0).as('string'))
    .arg('flags', reg('dx').as('x32'));
  assert.equal(print(def), 'p do_sys_openat2 filename=+0(%si):string flags=%dx:x32');
  assert.deepEqual(parse(print(def)), def.build());
});

const CASES = [
  [
    kprobe('vfs_read').group('g').event('e').arg('fd', arg(1).as('s32')).arg(stackPointer()).arg(stack(2)),
    'p:g/e vfs_read fd=$arg1:s32 arg2=$stack arg3=$stack2',
  ],
  [
    kprobe('ext4_file_open', { module: 'ext4', offset: 8 }).arg('f', deref(deref(reg('si'), 8), -16).as('u32')),
    'p ext4:ext4_file_open+8 f=-16(+8(%si)):u32',
  ],
  [kprobe(0xffffffff81000000n).event('at_addr'), 'p:at_addr 0xffffffff81000000'],
  [kretprobe('vfs_read', { maxactive: 32 }).arg('ret', retval().as('s64')), 'r32 vfs_read ret=$retval:s64'],
  [kretprobe('vfs_read', { syntax: 'suffix' }).arg('ret', retval()), 'p vfs_read%return ret=$retval'],
  [
    kprobe('do_sys_open')
      .arg('j', atSymbol('jiffies', 8))
      .arg('a', atAddress(0xffffffff82000000n).as('u8'))
      .arg('who', comm()),
    'p do_sys_open j=@jiffies+8 a=@0xffffffff82000000:u8 who=$comm',
  ],
  [
    kprobe('do_sys_open')
      .arg('n', imm(-1))
      .arg('s', immString('none'))
      .arg('u', uderef(reg('si')).as('ustring')),
    'p do_sys_open n=\\-1 s=\\"none" u=+u0(%si):ustring',
  ],
  [uprobe('/bin/bash', 0x4245c0).arg('g', atFileOffset(0x4010).as('s32')), 'p /bin/bash:0x4245c0 g=@+0x4010:s32'],
  [
    uretprobe('/bin/bash', 0x4245c0, { refCtrOffset: 0x20, syntax: 'suffix' }).arg(
      'line',
      deref(retval()).as('string'),
    ),
    'p /bin/bash:0x4245c0%return(0x20) line=+0($retval):string',
  ],
  [fentry('vfs_read').arg('count', arg(3)), 'f vfs_read count=$arg3'],
  [fexit('vfs_read', { maxactive: 8 }).arg('ret', retval()), 'f8 vfs_read%return ret=$retval'],
  [tprobe('sched_switch').group('tp').arg('prev', arg(2)), 't:tp/ sched_switch prev=$arg2'],
] as const;

for (const [builder, text] of CASES) {
  test(`builds ${JSON.stringify(text)}`, () => {
    assert.equal(print(builder), text);
    assert.deepEqual(parse(text), builder.build(), 'the parser and the builder share one model');
  });
}

test('uprobe symbols are modelled as PATH:SYMBOL[+OFFSET]', () => {
  assert.deepEqual(uprobe('/lib/libc.so.6', 'malloc').location, {
    type: 'usym',
    path: '/lib/libc.so.6',
    symbol: 'malloc',
    offset: 0,
  });
  assert.deepEqual(uprobe('/lib/libc.so.6', 'malloc+4', { refCtrOffset: 8 }).location, {
    type: 'usym',
    path: '/lib/libc.so.6',
    symbol: 'malloc',
    offset: 4,
    refCtrOffset: 8,
  });
});

test('arguments are checked when added, against the probe they are added to', () => {
  assert.throws(
    () => kprobe('vfs_read').arg('r', retval()),
    (e: unknown) => e instanceof ProbeDefinitionError && e.code === 'RETVAL_ON_PROBE',
  );
  assert.throws(
    () => uprobe('/bin/bash', 0x10).arg('a', arg(1)),
    (e: unknown) => e instanceof ProbeDefinitionError && e.code === 'NOFENTRY_ARGS',
  );
  assert.throws(
    () => fentry('vfs_read').arg('x', reg('di')),
    (e: unknown) => e instanceof ProbeDefinitionError && e.code === 'REG_ON_FPROBE',
  );
  assert.throws(() => kprobe('vfs_read').arg('s', reg('di').as('string')), /x=\+0\(%di\):string|s=\+0\(%di\):string/);
  // fromDefinition forgets the field types, so the duplicate gets past the compiler to the runtime check.
  assert.throws(() => fromDefinition(kprobe('vfs_read').arg('x', reg('di'))).arg('x', reg('si')), /used twice/);
  assert.throws(() => kprobe('vfs_read').arg('x', reg('di').as('int' as 'u8')), /\.as\('int'\): Unknown type 'int'/);
  assert.throws(() => kprobe('vfs_read').group('bad-name'), /not a valid C identifier/);
  assert.throws(() => kprobe('vfs_read', { offset: 4 }).arg('a', arg(1)), /offset 0/);
});

test('probe-level rules are checked when the probe is created', () => {
  assert.throws(() => kretprobe('vfs_read', { maxactive: 5000 }), /MAXACTIVE_MAX|too big/);
  assert.throws(() => kprobe('vfs read'), /not a kernel symbol name/);
  assert.throws(() => uprobe('/tmp/my prog', 0x10), /a space would split it/);
  assert.throws(() => uprobe('/tmp/prog\nr vfs_read', 0x10), /a newline is a control character/);
  assert.throws(() => uprobe('my:prog', 0x10), /neither a path.*nor a library name.*\.\/my:prog/s);
});

test('a uprobe target without a / is a library name, resolved when the session opens', () => {
  const def = uprobe('libc', 'malloc');
  assert.deepEqual(def.location, { type: 'usym', path: 'libc', symbol: 'malloc', offset: 0 });
  assert.throws(() => print(uprobe('libc.so.6', 0x1234)), /is a library name; the kernel needs the file's path/);
});

test('filter() stores the expression on the definition; only an empty one is refused here', () => {
  const base = uretprobe('/bin/true', 'main').arg('ret', retval().as('s64'));
  const filtered = base.filter('ret < 0');
  assert.equal(filtered.filterExpression, 'ret < 0');
  assert.equal(base.filterExpression, undefined, 'the builder it came from is unchanged');
  assert.equal(filtered.filter('ret > 1').filterExpression, 'ret > 1', 'a second call replaces the first');
  assert.equal(filtered.arg('x', reg('di')).filterExpression, 'ret < 0', 'kept through later steps');
  assert.equal(filtered.build().filterExpression, 'ret < 0');
  assert.equal(plainDefinition(filtered).filterExpression, 'ret < 0');
  assert.equal(print(kprobe('vfs_read').filter('common_pid != 1')), 'p vfs_read', 'not part of the kernel text');
  // Any non-empty text passes here: the session checks it against the event's format.
  assert.equal(kprobe('vfs_read').filter('no such field == 1').filterExpression, 'no such field == 1');
  for (const empty of ['', '   ']) {
    assert.throws(
      () => kprobe('vfs_read').filter(empty),
      (error: unknown) => (error as { code?: string }).code === 'BAD_FILTER',
    );
  }
  assert.throws(() => kprobe('vfs_read').filter(42 as unknown as string), /not a string/);
});

test('builders are immutable and build() returns a plain frozen definition', () => {
  const base = kprobe('vfs_read');
  const withArg = base.arg('fd', arg(1));
  assert.equal(base.args.length, 0);
  assert.equal(withArg.args.length, 1);
  assert.ok(Object.isFrozen(base));
  const built = withArg.build();
  assert.ok(Object.isFrozen(built));
  assert.equal(Object.getPrototypeOf(built), Object.prototype);
  assert.deepEqual(built, plainDefinition(withArg));
});

test('fromDefinition continues from a parsed definition', () => {
  const def = fromDefinition(parse('p:g/e vfs_read fd=$arg1')).arg('count', arg(3));
  assert.equal(print(def), 'p:g/e vfs_read fd=$arg1 count=$arg3');
});
