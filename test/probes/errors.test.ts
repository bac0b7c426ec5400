// Table-driven: each bad definition must be refused with a specific code and
// a message that names the bad token and says what to do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from '../../src/probes/parse.js';
import { ProbeDefinitionError, type ProbeErrorCode } from '../../src/probes/errors.js';

interface BadCase {
  readonly text: string;
  readonly code: ProbeErrorCode;
  /** Must match the message (problem + hint). */
  readonly message: RegExp;
  /** Expected 0-based index of the offending character, when it is checked. */
  readonly position?: number;
}

const long64 = 'e'.repeat(64);
const manyArgs = Array.from({ length: 129 }, (_, i) => `a${i}=%di`).join(' ');
const bigArrays = Array.from({ length: 7 }, (_, i) => `a${i}=+0(%di):u64[64]`).join(' ');

const BAD: readonly BadCase[] = [
  // The line itself.
  { text: '', code: 'EMPTY', message: /empty.*hint: write e\.g\./s },
  { text: '   ', code: 'EMPTY', message: /empty/ },
  {
    text: 'p do_sys_open\nr do_sys_open',
    code: 'BAD_CHARACTER',
    message: /newline at index 13.*one definition per call/s,
    position: 13,
  },
  { text: 'p do_sys_open x=%di\r', code: 'BAD_CHARACTER', message: /carriage return/ },
  { text: 'p\tdo_sys_open', code: 'BAD_CHARACTER', message: /a tab at index 1.*single spaces/s, position: 1 },
  { text: 'p /tmp/a\u0000b:0x10', code: 'BAD_CHARACTER', message: /NUL byte/ },
  {
    text: 'p do_sys_open x=%di # comment',
    code: 'COMMENT_CHARACTER',
    message: /'#' at index 20.*comment/s,
    position: 20,
  },
  { text: 'p /tmp/dir#1/bin:0x10', code: 'COMMENT_CHARACTER', message: /'#'/ },
  { text: `p do_sys_open ${'x'.repeat(4100)}`, code: 'DEFINITION_TOO_LONG', message: /at most 4094/ },
  // The head token.
  {
    text: '-:kprobes/myprobe',
    code: 'DELETE_COMMAND',
    message: /'-:kprobes\/myprobe' is a delete command.*printDeleteCommand/s,
    position: 0,
  },
  { text: '!p do_sys_open', code: 'DELETE_COMMAND', message: /'!'/ },
  {
    text: 'x do_sys_open',
    code: 'BAD_PROBE_TYPE',
    message: /'x' does not start with a probe type.*p \(probe\), r \(return probe\)/s,
  },
  { text: 'e:mygrp/ev sched.sched_switch', code: 'UNSUPPORTED_PROBE_TYPE', message: /'e' \(event probe\)/ },
  { text: 's:synthetic/lat u64 lat', code: 'UNSUPPORTED_PROBE_TYPE', message: /synthetic/ },
  { text: 'px /bin/bash:0x10', code: 'BAD_PROBE_TYPE', message: /Unexpected 'x' after the probe type 'p'/ },
  { text: 'r0x:foo do_sys_open', code: 'BAD_MAXACT', message: /'0x' in 'r0x:foo' is not a maxactive count/ },
  { text: 'r0:foo do_sys_open', code: 'BAD_MAXACT', message: /maxactive 0 is not a positive integer.*1 to 4096/s },
  {
    text: 'r5000 do_sys_open',
    code: 'MAXACT_TOO_BIG',
    message: /maxactive 5000 is too big.*4096.*KRETPROBE_MAXACTIVE_MAX/s,
  },
  {
    text: 'p5:foo do_sys_open',
    code: 'BAD_MAXACT_TYPE',
    message: /maxactive \(5\) is set on an entry probe.*use r<N>:/s,
  },
  {
    text: 'r5:foo /bin/bash:0x10',
    code: 'BAD_MAXACT_TYPE',
    message: /maxactive \(5\) is set on a uprobe.*silently ignore/s,
  },
  { text: 'p: do_sys_open', code: 'NO_EVENT_NAME', message: /'p:' has ':' but no event name/ },
  { text: 'p:/myevent do_sys_open', code: 'NO_GROUP_NAME', message: /no group name before it/ },
  {
    text: 'p:my-group/ev do_sys_open',
    code: 'BAD_GROUP_NAME',
    message: /group name 'my-group' is not a valid C identifier: '-' is not allowed.*my_group/s,
  },
  { text: 'p:grp/1ev do_sys_open', code: 'BAD_EVENT_NAME', message: /event name '1ev'.*starts with the digit '1'/s },
  { text: 'p:grp/ev.x do_sys_open', code: 'BAD_EVENT_NAME', message: /event name 'ev\.x'.*'\.' is not allowed/s },
  { text: `p:${long64} do_sys_open`, code: 'EVENT_TOO_LONG', message: /64 characters long.*at most 63/s },
  { text: `p:${'g'.repeat(70)}/ev do_sys_open`, code: 'GROUP_TOO_LONG', message: /group name 'g+' is 70 characters/ },
  // Locations.
  { text: 'p:grp/ev', code: 'NO_LOCATION', message: /'p:grp\/ev' is not followed by a probe location/ },
  {
    text: 'p:do_sys_openat2 filename=+0(%si):string',
    code: 'NO_LOCATION',
    message: /is an argument.*hint: did you mean `p do_sys_openat2 filename=\+0\(%si\):string`\?/s,
    position: 17,
  },
  { text: 'p:do_sys_openat2', code: 'NO_LOCATION', message: /hint: did you mean `p do_sys_openat2`\?/ },
  { text: 'p:/bin/bash:readline', code: 'NO_GROUP_NAME', message: /hint: did you mean `p \/bin\/bash:readline`\?/ },
  { text: 'p bash:0x4245c0', code: 'BAD_SYMBOL', message: /for a uprobe, give the file's path.*\.\/bash:0x4245/ },
  {
    text: 'p 0xffffffff81000000+4',
    code: 'BAD_PROBE_ADDR',
    message: /'0xffffffff81000000\+4' is not a kernel address: an address takes no offset.*SYMBOL\+OFFSET/s,
  },
  { text: 'p 0xzz', code: 'BAD_PROBE_ADDR', message: /'0xzz' is not a kernel address/ },
  { text: 'p 0', code: 'BAD_PROBE_ADDR', message: /0x0 is not a kernel address.*non-zero/s },
  { text: 'p do_sys_open-4', code: 'BAD_PROBE_ADDR', message: /Negative offset '-4'.*SYMBOL\+N/s, position: 13 },
  { text: 'p do_sys_open+x', code: 'BAD_PROBE_ADDR', message: /'x' is not an offset in kprobe location/ },
  {
    text: 'p do_sys_open+0x100000000',
    code: 'BAD_PROBE_ADDR',
    message: /Offset 4294967296 after 'do_sys_open' is out of range/,
  },
  {
    text: 'r do_sys_open+8',
    code: 'BAD_RETPROBE',
    message: /return probe must be at a function entry, not at do_sys_open\+8/,
  },
  {
    text: 'p do_sys_open%exit',
    code: 'BAD_ADDR_SUFFIX',
    message: /'%exit' is not a valid suffix.*'%return'/s,
    position: 13,
  },
  {
    text: 'p 0xffffffff81000000%return',
    code: 'BAD_ADDR_SUFFIX',
    message: /'%return' cannot follow an address.*'r' prefix/s,
  },
  { text: 'p :do_sys_open', code: 'BAD_MODULE', message: /no module name before it/ },
  { text: 'p ext4:foo:bar', code: 'BAD_SYMBOL', message: /'foo:bar' is not a kernel symbol name/ },
  { text: 'p do_sys_open*', code: 'BAD_SYMBOL', message: /'do_sys_open\*' is not a kernel symbol name/ },
  { text: 'p /bin/bash', code: 'BAD_PATH', message: /'\/bin\/bash' has no ':OFFSET'/ },
  { text: 'p :0x10', code: 'BAD_MODULE', message: /no module name/ },
  { text: 'p /bin/:0x10', code: 'BAD_PATH', message: /names a directory/ },
  { text: 'p /bin/bash:', code: 'BAD_UPROBE_OFFS', message: /nothing after ':'/ },
  { text: 'p /bin/bash:0x12g', code: 'BAD_UPROBE_OFFS', message: /'0x12g' is not a file offset/ },
  { text: 'p /bin/bash:0x10(0x20', code: 'BAD_REFCNT', message: /missing its '\)'/ },
  {
    text: 'p /bin/bash:0x10(0x20)%return',
    code: 'BAD_REFCNT',
    message: /'%return' after the reference counter.*before '\('/s,
  },
  { text: 'p /bin/bash:0x10(zz)', code: 'BAD_REFCNT', message: /'zz' is not a reference counter offset/ },
  { text: 'p /bin/bash:0x10%ret', code: 'BAD_ADDR_SUFFIX', message: /'%ret' is not a valid suffix/ },
  { text: 'p /bin/bash:read+line', code: 'BAD_UPROBE_OFFS', message: /'line' is not an offset/ },
  {
    text: 'f vfs_read+4',
    code: 'BAD_PROBE_ADDR',
    message: /fprobe location 'vfs_read\+4' has an offset.*entry or exit only/s,
  },
  { text: 't sched_switch%return', code: 'BAD_ADDR_SUFFIX', message: /cannot follow tracepoint/ },
  { text: 't sched-switch', code: 'BAD_TP_NAME', message: /'sched-switch' is not a tracepoint name/ },
  // Argument names.
  { text: 'p do_sys_open =%di', code: 'NO_ARG_NAME', message: /'=%di' has '=' but no name.*arg1/s, position: 14 },
  { text: 'p do_sys_open x=', code: 'NO_ARG_BODY', message: /Argument 'x' has no fetch expression/ },
  {
    text: `p do_sys_open ${'n'.repeat(33)}=%di`,
    code: 'ARG_NAME_TOO_LONG',
    message: /is 33 characters long.*32.*MAX_ARG_NAME_LEN/s,
  },
  {
    text: 'p do_sys_open 1x=%di',
    code: 'BAD_ARG_NAME',
    message: /Argument name '1x' is not a valid C identifier.*_1x/s,
    position: 14,
  },
  { text: 'p do_sys_open x=%di x=%si', code: 'USED_ARG_NAME', message: /'x' is used twice/, position: 20 },
  { text: 'p do_sys_open common_pid=%di', code: 'RESERVED_ARG_NAME', message: /'common_pid' is reserved/ },
  { text: 'p do_sys_open __probe_ip=%di', code: 'RESERVED_ARG_NAME', message: /'__probe_ip' is reserved/ },
  { text: 'p do_sys_open common_foo=%di', code: 'RESERVED_ARG_NAME', message: /starts with 'common_'.*'foo'/s },
  { text: `p do_sys_open ${manyArgs}`, code: 'TOO_MANY_ARGS', message: /129 arguments; the kernel allows 128/ },
  // Fetch arguments.
  {
    text: 'p do_sys_open x=%rax',
    code: 'BAD_REG_NAME',
    message: /Unknown register '%rax' in argument 'x'.*write %ax/s,
  },
  { text: 'p do_sys_open x=%eflags', code: 'BAD_REG_NAME', message: /'%eflags'.*write %flags/s },
  { text: 'p do_sys_open x=%DI', code: 'BAD_REG_NAME', message: /case-sensitive: write %di/ },
  { text: 'p do_sys_open x=%fs', code: 'BAD_REG_NAME', message: /%fs exists in pt_regs only on 32-bit x86/ },
  { text: 'p do_sys_open x=%r16', code: 'BAD_REG_NAME', message: /'%r16'.*x86_64 registers are %r15/s },
  { text: 'p do_sys_open x=%', code: 'BAD_REG_NAME', message: /'%' in argument 'x' is not a register name/ },
  {
    text: 'p do_sys_open x=$retval',
    code: 'RETVAL_ON_PROBE',
    message: /'x' reads \$retval, but this is not a return probe/,
  },
  { text: 'p /bin/bash:0x10 x=$retval', code: 'RETVAL_ON_PROBE', message: /not a return probe.*uretprobe/s },
  { text: 'p do_sys_open x=$stackx', code: 'BAD_STACK_NUM', message: /'\$stackx' in argument 'x' is not a stack slot/ },
  {
    text: 'p do_sys_open x=$stack4096',
    code: 'BAD_STACK_NUM',
    message: /\$stack4096 in argument 'x' is out of range.*2048/s,
  },
  { text: 'p do_sys_open x=$arg0', code: 'BAD_ARG_NUM', message: /\$arg0 in argument 'x' is out of range.*from 1/s },
  { text: 'p do_sys_open x=$argv', code: 'BAD_ARG_NUM', message: /'\$argv'.*decimal N >= 1/s },
  {
    text: 'p /bin/bash:0x10 x=$arg1',
    code: 'NOFENTRY_ARGS',
    message: /uprobes cannot use \$argN.*%di, %si, %dx, %cx, %r8, %r9/s,
  },
  { text: 'p do_sys_open+4 x=$arg1', code: 'NOFENTRY_ARGS', message: /\$arg1 at do_sys_open\+4.*offset 0/s },
  { text: 'p 0xffffffff81000000 x=$arg1', code: 'NOFENTRY_ARGS', message: /on a probe at an address/ },
  { text: 'p do_sys_open x=$cmd', code: 'BAD_VAR', message: /Unknown variable '\$cmd'/ },
  { text: 'p do_sys_open x=$arg*', code: 'NO_BTF_ARGS', message: /'\$arg\*'.*BTF/s },
  {
    text: 'p do_sys_open filename',
    code: 'NO_BTF_ARGS',
    message: /'filename' in argument 'arg1' is a bare name.*BTF/s,
  },
  { text: 'p do_sys_open x=?', code: 'BAD_FETCH_ARG', message: /'\?' in argument 'x' is not a fetch expression/ },
  { text: 'p do_sys_open x=@', code: 'BAD_MEM_ADDR', message: /no address or symbol after '@'/ },
  { text: 'p do_sys_open x=@0xzz', code: 'BAD_MEM_ADDR', message: /'@0xzz' in argument 'x' is not a memory address/ },
  { text: 'p do_sys_open x=@jiffies+x', code: 'BAD_MEM_ADDR', message: /'\+x' in '@jiffies\+x'/ },
  {
    text: 'p /bin/bash:0x10 x=@jiffies',
    code: 'SYM_ON_UPROBE',
    message: /uprobes cannot look up symbols.*@\+FILE_OFFSET/s,
  },
  { text: 'p do_sys_open x=@+0x10', code: 'FILE_ON_KPROBE', message: /a file offset, which only uprobes have/ },
  { text: 'p /bin/bash:0x10 x=@+zz', code: 'BAD_FILE_OFFS', message: /'@\+zz' in argument 'x' is not a file offset/ },
  { text: 'p do_sys_open x=+8', code: 'DEREF_NEED_BRACE', message: /Dereference '\+8' in argument 'x' has no '\('/ },
  { text: 'p do_sys_open x=+8(%di', code: 'DEREF_OPEN_BRACE', message: /missing its '\)'/ },
  { text: 'p do_sys_open x=+z(%di)', code: 'BAD_DEREF_OFFS', message: /'z' is not a dereference offset/ },
  { text: 'p do_sys_open x=+(%di)', code: 'BAD_DEREF_OFFS', message: /'\(nothing\)' is not a dereference offset/ },
  { text: 'p do_sys_open x=+8(%di)abc', code: 'DEREF_TRAILING', message: /'abc' after '\)'.*would be ignored/s },
  { text: 'p do_sys_open x=+0($comm)', code: 'COMM_CANT_DEREF', message: /dereferences \$comm/ },
  { text: 'p do_sys_open x=+0(\\"abc")', code: 'COMM_CANT_DEREF', message: /dereferences an immediate string/ },
  { text: 'p do_sys_open x=\\zz', code: 'BAD_IMM', message: /'\\zz' in argument 'x' is not an immediate value/ },
  { text: 'p do_sys_open x=\\0x10000000000000000', code: 'BAD_IMM', message: /not an immediate value/ },
  { text: 'p do_sys_open x=\\"abc', code: 'IMMSTR_NO_CLOSE', message: /not closed with '"'/ },
  { text: 'p do_sys_open x=\\"a"b"', code: 'BAD_IMM_STRING', message: /contains "\\""/ },
  {
    text: `p do_sys_open x=${'+0('.repeat(15)}%di${')'.repeat(15)}`,
    code: 'TOO_MANY_OPS',
    message: /needs 16 fetch instructions.*15.*FETCH_INSN_MAX.*nest fewer/s,
  },
  {
    text: `p do_sys_open x=+0(@${'very_long_symbol_name_'.repeat(3)}):string`,
    code: 'ARG_TOO_LONG',
    message: /argument 'x' is 78 characters.*63.*MAX_ARGSTR_LEN/s,
  },
  // Types.
  { text: 'p do_sys_open x=%di:int', code: 'BAD_TYPE', message: /Unknown type 'int' for argument 'x'.*write 's32'/s },
  { text: 'p do_sys_open x=%di:', code: 'BAD_TYPE', message: /Unknown type ''/ },
  {
    text: 'p do_sys_open x=%di:string',
    code: 'BAD_STRING',
    message: /string of argument 'x' needs a memory address, but '%di' is a value.*x=\+0\(%di\):string/s,
  },
  { text: 'p do_sys_open x=$arg1:ustring', code: 'BAD_STRING', message: /ustring.*x=\+0\(\$arg1\):ustring/s },
  {
    text: 'p do_sys_open x=$comm:u32',
    code: 'NEED_STRING_TYPE',
    message: /\$comm, which can only have type string, not 'u32'/,
  },
  { text: 'p do_sys_open x=$comm:string[2]', code: 'NEED_STRING_TYPE', message: /not 'string\[2\]'/ },
  {
    text: 'p do_sys_open x=$stack:symstr',
    code: 'BAD_SYMSTRING',
    message: /symstr of argument 'x' cannot be used with '\$stack'/,
  },
  {
    text: 'p /bin/bash:0x10 x=%di:symbol',
    code: 'TYPE_NOT_ON_UPROBE',
    message: /Type 'symbol' of argument 'x' reads kernel data/,
  },
  { text: 'p /bin/bash:0x10 x=%di:%pd', code: 'TYPE_NOT_ON_UPROBE', message: /'%pd'/ },
  {
    text: 'p do_sys_open x=%di:b0@0/8',
    code: 'BAD_BITFIELD',
    message: /Bitfield 'b0@0\/8' of argument 'x' does not fit/,
  },
  { text: 'p do_sys_open x=%di:b4@6/8', code: 'BAD_BITFIELD', message: /'b4@6\/8'.*width \+ offset <= container/s },
  {
    text: 'p do_sys_open x=%di:b4@0/24',
    code: 'BAD_BITFIELD',
    message: /'b4@0\/24' is not a bitfield type.*8, 16, 32 or 64/s,
  },
  { text: 'p do_sys_open x=+0(%di):u8[4', code: 'ARRAY_NO_CLOSE', message: /missing its '\]'/ },
  { text: 'p do_sys_open x=+0(%di):u8[4]x', code: 'BAD_ARRAY_SUFFIX', message: /'x' after '\]'/ },
  { text: 'p do_sys_open x=+0(%di):u8[z]', code: 'BAD_ARRAY_NUM', message: /'z' is not an array length/ },
  {
    text: 'p do_sys_open x=+0(%di):u8[0]',
    code: 'BAD_ARRAY_NUM',
    message: /Array length 0 of argument 'x' is invalid/,
  },
  { text: 'p do_sys_open x=+0(%di):u8[65]', code: 'ARRAY_TOO_BIG', message: /Array length 65.*64.*MAX_ARRAY_LEN/s },
  {
    text: 'p do_sys_open x=$stack1:x8[8]',
    code: 'BAD_ARRAY',
    message: /needs a memory address, but '\$stack1' is a value.*\+0\(\$stack1\):x8\[8\]/s,
  },
  {
    text: 'p do_sys_open x=+u0(%si):u32[4]',
    code: 'BAD_ARRAY',
    message: /numeric array through a user-space dereference/,
  },
  {
    text: 'p do_sys_open x=+0(%di):symstr[2]',
    code: 'BAD_ARRAY',
    message: /symstr of argument 'x' cannot be an array/,
  },
  {
    text: `p do_sys_open ${bigArrays}`,
    code: 'EVENT_TOO_BIG',
    message: /up to 'a5' take 3072.*|up to 'a6' take 3584 bytes.*3072.*MAX_PROBE_EVENT_SIZE/s,
  },
  // fprobe / tprobe specifics.
  {
    text: 'f vfs_read x=%di',
    code: 'REG_ON_FPROBE',
    message: /reads register %di, but fprobes cannot read registers.*\$argN/s,
  },
  { text: 't sched_switch x=%di', code: 'REG_ON_FPROBE', message: /tprobes cannot read registers/ },
  { text: 'f5 vfs_read', code: 'BAD_MAXACT_TYPE', message: /entry probe/ },
];

test('a long definition is shown as a window around the bad character, with its length', () => {
  const text = `p do_sys_open ${'a'.repeat(3000)}=%di x=%rax`;
  assert.throws(
    () => parse(text),
    (error: unknown) => {
      assert.ok(error instanceof ProbeDefinitionError);
      assert.equal(error.code, 'ARG_NAME_TOO_LONG');
      assert.ok(error.message.length < 1200, `message of ${error.message.length} characters`);
      // 200 characters from the start (the bad name starts at index 14), the caret under its first 'a'.
      const excerpt = `in: "p do_sys_open a{186}…" \\(${text.length} characters\\)\\n {21}\\^`;
      assert.match(error.message, new RegExp(excerpt));
      return true;
    },
  );
});

test(`at least 50 bad definitions are tabled (${BAD.length})`, () => {
  assert.ok(BAD.length >= 50);
});

for (const bad of BAD) {
  const shown = JSON.stringify(bad.text.length > 70 ? `${bad.text.slice(0, 67)}...` : bad.text);
  test(`refuses ${shown} (${bad.code})`, () => {
    let caught: unknown;
    try {
      parse(bad.text);
    } catch (error) {
      caught = error;
    }
    assert.ok(caught instanceof ProbeDefinitionError, `expected a ProbeDefinitionError, got ${String(caught)}`);
    assert.equal(caught.code, bad.code, caught.message);
    assert.match(caught.message, bad.message);
    assert.equal(caught.definition, bad.text);
    assert.match(caught.message, /hint: /, 'every error says what to do');
    if (bad.position !== undefined) assert.equal(caught.position, bad.position);
  });
}
