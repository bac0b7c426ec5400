// Good definitions, from the kernel docs (kprobetrace.rst, uprobetracer.rst,
// fprobetrace.rst), the syntax comment of 4.15's create_trace_kprobe() and
// commit messages of later features: parse, print the canonical text, and
// check that the canonical text parses back to the same model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from '../../src/probes/parse.js';
import { print } from '../../src/probes/print.js';
import type { ProbeDefinition } from '../../src/probes/definition.js';

/** [input, canonical form]; the canonical form is the input when omitted. */
const GOOD: readonly (readonly [string, string?])[] = [
  // kprobetrace.rst examples.
  ['p:myprobe do_sys_open dfd=%ax filename=%dx flags=%cx mode=+4($stack)'],
  ['r:myretprobe do_sys_open $retval', 'r:myretprobe do_sys_open arg1=$retval'],
  ['p:kprobes/myprobe do_sys_open'],
  ['p:bf vfs_read flags=+4(%ax):b2@4/32'],
  ['p:arr vfs_read buf=+8($stack):x8[8] names=+0(%di):string[2]'],
  ['p do_sched_setscheduler priority=+u0($arg3)', 'p do_sched_setscheduler priority=+u0($arg3)'],
  ['p:testprobe dput name=$arg1:%pd'],
  ['p:testprobe vfs_read name=$arg1:%pD'],
  ['p:usb_gadget/ config_usb_cfg_link $arg1', 'p:usb_gadget/ config_usb_cfg_link arg1=$arg1'],
  ['p:ret vfs_read%return ret=$retval'],
  ['r:ra vfs_read count=$arg3 ret=$retval'],
  // Every fetch form of the 4.15 syntax comment.
  [
    'p:grp/ev ext4:ext4_file_open+0x10 a=$stack b=$stack3 c=$comm d=@0xffffffff81e0a000 e=@jiffies+8 f=%si ' +
      'g=-8(+16(%bp)) h=+0(%di):string',
    'p:grp/ev ext4:ext4_file_open+16 a=$stack b=$stack3 c=$comm d=@0xffffffff81e0a000 e=@jiffies+8 f=%si ' +
      'g=-8(+16(%bp)) h=+0(%di):string',
  ],
  ['r16:grp/ret do_sys_open ret=$retval:s32'],
  ['p 0xffffffff81234560'],
  ['r 0xffffffff81234560 $retval', 'r 0xffffffff81234560 arg1=$retval'],
  ['p do_sys_open+0 %di:x64 %si:u32', 'p do_sys_open arg1=%di:x64 arg2=%si:u32'],
  ['p do_sys_open a=%orig_ax b=%ip c=%flags d=%r15 e=%sp f=%cs g=%ss'],
  ['p:types vfs_read a=%di:u8 b=%di:u16 c=%di:s8 d=%di:s16 e=%di:s64 f=%di:x16 g=%di:char h=%si:symbol'],
  // Later additions.
  ['p:cb call_rcu func=%si:symbol'],
  ['p:ss queue_work_on fn=+24($arg3):symstr'],
  ['p:c vfs_read c=+0(%si):char'],
  ['p:imm vfs_read foo=\\0xdeadbeef', 'p:imm vfs_read foo=\\3735928559'],
  ['p:ims vfs_read s=\\"(optimized)":string'],
  ['p:ims vfs_read s=\\"optimized"'],
  ['p:us vfs_read s=+0(%si):ustring u=+u8(%si):ustring'],
  ['r16:g/e vfs_read%return ret=$retval:s64'],
  [
    'p:n do_sys_open+010 a=-0x10(%bp) b=\\+5 c=\\-0x10 d=@0x10 e=$stack010',
    'p:n do_sys_open+8 a=-16(%bp) b=\\5 c=\\-16 d=@0x10 e=$stack10',
  ],
  ['r0x10:g/e vfs_read', 'r16:g/e vfs_read'],
  ['p:grp.ev do_sys_open', 'p:grp/ev do_sys_open'],
  ['p  do_sys_open   x=%di ', 'p do_sys_open x=%di'],
  ['p do_sys_open x=$COMM', 'p do_sys_open x=$comm'],
  ['p do_sys_open x=$comm:string'],
  [`p do_sys_open x=${'+0('.repeat(14)}%di${')'.repeat(14)}`],
  // uprobetracer.rst examples and uprobe forms.
  ['p /bin/bash:0x4245c0'],
  ['r /bin/bash:0x4245c0'],
  ['p:uprobes/p_zsh_0x46420 /bin/zsh:0x46420 %ip %ax', 'p:uprobes/p_zsh_0x46420 /bin/zsh:0x46420 arg1=%ip arg2=%ax'],
  ['p:sdt/probe /usr/lib/libfoo.so:0x0000000000001234(0x20)', 'p:sdt/probe /usr/lib/libfoo.so:0x1234(0x20)'],
  ['p:sdt/probe /usr/lib/libfoo.so:0x1234(0)', 'p:sdt/probe /usr/lib/libfoo.so:0x1234'],
  [
    'r:bash/readline /bin/bash:0x4245c0%return line=+0($retval):string',
    'p:bash/readline /bin/bash:0x4245c0%return line=+0($retval):string',
  ],
  ['p:bash/rl /bin/bash:0x4245c0%return(0x10)'],
  ['p:u /bin/bash:0x10 v=@+0x4010:u32 w=@0x601040:s32[4]'],
  ['p ./a.out:0x10'],
  ['p /usr/bin/python3:0x1234 a=+8($stack):s32 b=$stack2 c=%r8 d=+u0(%di):string'],
  ['p /tmp/a:b/prog:0x10'],
  // fprobetrace.rst forms.
  ['f vfs_read'],
  ['f vfs_read%return $retval', 'f vfs_read%return arg1=$retval'],
  ['f:fp/open do_sys_openat2 dfd=$arg1:s32 name=+0($arg2):string'],
  ['f8:fp/rd vfs_read%return ret=$retval:s64 count=$arg3'],
  ['f ext4:ext4_file_open'],
  ['t sched_overutilized_tp'],
  ['t 9p_client_req'],
  ['t:tp/sw sched_switch prev=$arg2 comm=$comm'],
];

for (const [input, canonical = input] of GOOD) {
  test(`parses and prints ${JSON.stringify(input)}`, () => {
    const def = parse(input);
    const text = print(def);
    assert.equal(text, canonical);
    assert.deepEqual(parse(text), def, 'the canonical text parses back to the same model');
    assert.equal(print(parse(text)), text, 'the canonical form is a fixed point');
  });
}

test('the model of a kprobe carries every part of the text', () => {
  const expected: ProbeDefinition = {
    kind: 'kprobe',
    isReturn: false,
    groupName: 'grp',
    eventName: 'open',
    location: { type: 'ksym', module: 'ext4', symbol: 'ext4_file_open', offset: 4 },
    args: [
      {
        name: 'file',
        fetch: {
          op: 'deref',
          offset: 0,
          user: false,
          target: { op: 'deref', offset: 8, user: false, target: { op: 'reg', name: 'si' } },
        },
        type: { kind: 'basic', name: 'string' },
      },
      {
        name: 'arg2',
        fetch: { op: 'deref', offset: 8, user: false, target: { op: 'stack' } },
        type: { kind: 'bitfield', width: 3, offset: 1, container: 8, arrayLength: 2 },
      },
      { name: 'n', fetch: { op: 'imm', value: -5n } },
      { name: 'sym', fetch: { op: 'memSymbol', symbol: 'jiffies', offset: -8 } },
    ],
  };
  assert.deepEqual(
    parse('p:grp/open ext4:ext4_file_open+4 file=+0(+8(%si)):string +8($stack):b3@1/8[2] n=\\-5 sym=@jiffies-8'),
    expected,
  );
});

test('kernel and user probes are told apart by the / in the location', () => {
  assert.equal(parse('p do_sys_open').kind, 'kprobe');
  assert.equal(parse('p ext4:ext4_file_open').kind, 'kprobe');
  assert.equal(parse('p /bin/bash:0x10').kind, 'uprobe');
  assert.equal(parse('p ./bash:0x10').kind, 'uprobe');
  assert.equal(parse('f vfs_read').kind, 'fprobe');
  assert.equal(parse('t sched_switch').kind, 'tprobe');
});

test('a bare PATH:SYMBOL or LIBRARY:SYMBOL is an entry uprobe, as on the command line', () => {
  const bare = (text: string) => {
    const def = parse(text);
    return { kind: def.kind, isReturn: def.isReturn, location: def.location, args: def.args.length };
  };
  const usym = (path: string, symbol: string, offset = 0) => ({
    kind: 'uprobe',
    isReturn: false,
    location: { type: 'usym', path, symbol, offset },
    args: 0,
  });
  assert.deepEqual(bare('/usr/bin/bash:readline'), usym('/usr/bin/bash', 'readline'));
  assert.deepEqual(bare('  ./a.out:main+4 '), usym('./a.out', 'main', 4));
  assert.deepEqual(bare('libc:malloc'), usym('libc', 'malloc'));
  assert.deepEqual(bare('libc.so.6:malloc'), usym('libc.so.6', 'malloc'));
  // Starting with a probe letter is not enough to be a definition: 'perl' is no 'p:'.
  assert.deepEqual(bare('perl:Perl_runops_standard'), usym('perl', 'Perl_runops_standard'));
  assert.deepEqual(parse('/bin/bash:0x10').location, { type: 'uoffset', path: '/bin/bash', offset: 0x10 });
  const ret = parse('/bin/bash:readline%return');
  assert.deepEqual([ret.kind, ret.isReturn, ret.returnSyntax], ['uprobe', true, 'suffix']);
  // Definitions stay definitions: a head, or more than one token.
  assert.throws(() => parse('p:libc:malloc'), /not followed by a probe location/);
  assert.throws(() => parse('libc:malloc x=%di'), /does not start with a probe type/);
  assert.throws(() => parse('do_sys_open'), /does not start with a probe type/);
});

test('a library before the : is a uprobe; MOD:SYM without a . stays a kprobe on module MOD', () => {
  assert.deepEqual(parse('p libc.so.6:malloc size=%di').location, {
    type: 'usym',
    path: 'libc.so.6',
    symbol: 'malloc',
    offset: 0,
  });
  assert.equal(parse('r libc.so.6:malloc').kind, 'uprobe');
  assert.deepEqual(parse('p ext4:ext4_sync_file').location, {
    type: 'ksym',
    module: 'ext4',
    symbol: 'ext4_sync_file',
    offset: 0,
  });
  assert.deepEqual(parse('p libc:malloc').location, { type: 'ksym', module: 'libc', symbol: 'malloc', offset: 0 });
  assert.deepEqual(parse('p ext4:ext4_file_open.isra.0+4').location, {
    type: 'ksym',
    module: 'ext4',
    symbol: 'ext4_file_open.isra.0',
    offset: 4,
  });
  assert.deepEqual(parse('p:ext4/sync ext4:ext4_sync_file').location.type, 'ksym');
  assert.equal(parse('f ext4:ext4_file_open').kind, 'fprobe');
});

test('a uprobe on a library name does not print until the name is resolved to a file', () => {
  assert.throws(
    () => print(parse('p libc.so.6:0x1234')),
    (error: unknown) =>
      error instanceof Error &&
      (error as { code?: string }).code === 'UNRESOLVED_LIBRARY' &&
      /library name.*needs the file's path/s.test(error.message),
  );
});

test('return probes record how they were written', () => {
  assert.deepEqual([parse('r vfs_read').isReturn, parse('r vfs_read').returnSyntax], [true, 'prefix']);
  assert.deepEqual([parse('p vfs_read%return').isReturn, parse('p vfs_read%return').returnSyntax], [true, 'suffix']);
  assert.equal(parse('p vfs_read').returnSyntax, undefined);
  assert.equal(parse('f vfs_read%return').returnSyntax, 'suffix');
  // A suffix form with maxactive keeps the 'r' that maxactive needs.
  assert.equal(print(parse('r4 vfs_read%return')), 'r4 vfs_read%return');
});

test('PATH:SYMBOL uprobes parse but do not print until resolved', () => {
  const def = parse('p:g/malloc /lib/x86_64-linux-gnu/libc.so.6:malloc+4 size=%di');
  assert.deepEqual(def.location, {
    type: 'usym',
    path: '/lib/x86_64-linux-gnu/libc.so.6',
    symbol: 'malloc',
    offset: 4,
  });
  assert.throws(() => print(def), /names a symbol; the kernel only takes a file offset.*resolveUprobeSymbols/s);
  assert.deepEqual(parse('p /lib/libc.so.6:memcpy@@GLIBC_2.14').location, {
    type: 'usym',
    path: '/lib/libc.so.6',
    symbol: 'memcpy@@GLIBC_2.14',
    offset: 0,
  });
});

test('errors point into the text', () => {
  try {
    parse('p:grp/ev do_sys_open x=%di y=%rbx');
    assert.fail('should throw');
  } catch (error) {
    const e = error as { position?: number; definition?: string; message: string };
    assert.equal(e.position, 27);
    assert.equal(e.definition, 'p:grp/ev do_sys_open x=%di y=%rbx');
    assert.match(e.message, /\n {6} {28}\^\n/, 'the caret sits under y=%rbx');
  }
});
