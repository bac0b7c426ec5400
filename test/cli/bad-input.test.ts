/**
 * Bad input, row by row: each must end with its exit status and one readable error naming the
 * problem, with a hint, no JavaScript stack, nothing on stdout, and nothing left behind (no probe,
 * no registry file).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { allProbeLines } from '../helpers/tracefs-state.js';
import { loadgen } from '../helpers/programs.js';
import { runCli } from './cli-process.js';

/** One bad command line. */
interface BadInput {
  name: string;
  args: string[];
  /** What stderr must say: the problem, named. */
  says: RegExp;
  /** The exit status (see src/cli/failure.ts): 2 when the trace cannot start, 126/127 for the command. */
  status: number;
}

function row(name: string, args: string[], says: RegExp, status = 2): BadInput {
  return { name, args, says, status };
}

/** `trace` of one tracepoint with `options` added. */
function traceWith(...options: string[]): string[] {
  return ['trace', 'sched:sched_process_exec', ...options];
}

/** Groups that explicit probe definitions below use: ours alone, so leftovers can be told apart. */
const GROUP = `pbcli_${process.pid}`;
const TARGET = `${loadgen()}:pb_target`;

const ROWS: BadInput[] = [
  row('unknown subcommand', ['frobnicate'], /unknown command "frobnicate"/),
  row('unknown option', ['trace', '--bogus', 'sched:sched_process_exec'], /unknown option --bogus/),
  row('unknown short option', ['trace', '-x', 'sched:sched_process_exec'], /unknown option -x/),
  row('missing event', ['trace'], /needs at least one event/),
  row('options but no event', ['trace', '--count', '5'], /needs at least one event/),
  row('--count -1', traceWith('--count', '-1'), /--count must be a positive integer, got "-1"/),
  row('--count abc', traceWith('--count', 'abc'), /--count must be a positive integer, got "abc"/),
  row('--count 1.5', traceWith('--count', '1.5'), /--count must be a positive integer, got "1.5"/),
  row('--count without a value', traceWith('--count'), /--count needs a value/),
  row('--duration 0', traceWith('--duration', '0'), /--duration must be a positive number, got "0"/),
  row('--duration x', traceWith('--duration', 'x'), /--duration must be a positive number, got "x"/),
  row('--duration -5', traceWith('--duration', '-5'), /--duration must be a positive number, got "-5"/),
  row('--duration NaN', traceWith('--duration', 'NaN'), /--duration must be a positive number, got "NaN"/),
  row('--duration past the maximum', traceWith('--duration', '1e12'), /--duration must be at most \d+/),
  row('--ring-pages 3', traceWith('--ring-pages', '3'), /ringPages must be a power of two.*got 3/),
  row('--ring-pages 0', traceWith('--ring-pages', '0'), /--ring-pages must be a positive integer/),
  row('--format xml', traceWith('--format', 'xml'), /--format xml is not supported/),
  row('nonexistent event', ['trace', 'nosuch:event'], /no trace event nosuch:event/),
  row('event without a group', ['trace', 'sched_process_exec'], /"sched_process_exec" is not an event name/),
  row('malformed name .:sched', ['trace', '.:sched'], /"\.:sched" is not an event name/),
  row('a group file, not an event: sched:enable', ['trace', 'sched:enable'], /enable is a tracefs control file/),
  row('a tracefs file as group: header_page:x', ['trace', 'header_page:x'], /"header_page:x" is not an event name/),
  row('path escape ..:..', ['trace', '..:..'], /"\.\.:\.\." is not an event name/),
  row('event name with a control character', ['trace', 'sched:sched\u0007exec'], /event name/),
  row('a 5000-character event name', ['trace', `sched:${'a'.repeat(5000)}`], /sched:a{20}/),
  row(
    'event name but no probe point',
    ['trace', 'p:do_sys_openat2 filename=+0(%si):string'],
    /is an argument \(NAME=FETCHARG\), not a probe location/,
  ),
  row('uprobe on a missing file', ['trace', '/nonexistent:main'], /\/nonexistent: no such file/),
  row('uprobe on a missing symbol', ['trace', '/bin/true:no_such_symbol_xyz'], /cannot find "no_such_symbol_xyz"/),
  row(
    'uprobe offset past the end of the file',
    ['trace', '/bin/true:0x7fffffff'],
    /0x7fffffff is past the end of the file/,
  ),
  row('uprobe on a directory', ['trace', '/tmp:main'], /\/tmp is a directory/),
  row('uprobe on a file that is not ELF', ['trace', '/etc/passwd:main'], /\/etc\/passwd is not an ELF file/),
  row('probe name with a control character', ['trace', `p:${GROUP}/bell\u0007name ${TARGET}`], /U\+0007|bell/),
  row('probe smuggling a second line', ['trace', `p:${GROUP}/a ${TARGET}\np:${GROUP}/b ${TARGET}`], /newline/),
  row('probe group name too long', ['trace', `p:${'g'.repeat(80)}/x ${TARGET}`], /group name/),
  row('probe with an unknown variable', ['trace', `p:${GROUP}/var ${TARGET} x=$nosuch`], /\$nosuch/),
  row('probe with an unknown register', ['trace', `p:${GROUP}/reg ${TARGET} x=%zz`], /%zz/),
  row('$retval on an entry probe', ['trace', `p:${GROUP}/rv ${TARGET} x=$retval`], /\$retval/),
  row('an unknown probe type', ['trace', `q:${GROUP}/q ${TARGET}`], /probe type/),
  row('-- with no command', traceWith('--'), /nothing after --/),
  row('a command that does not exist', traceWith('--', 'no-such-command-xyz'), /"no-such-command-xyz": not found/, 127),
  row('a command path that does not exist', traceWith('--', '/no/such/cmd'), /"\/no\/such\/cmd": no such/, 127),
  row('a command that is not executable', traceWith('--', '/etc/passwd'), /"\/etc\/passwd": it is not an exec/, 126),
  row('a command for list', ['list', '--', 'true'], /only trace runs a command/),
  row('format without an argument', ['format'], /format takes exactly one event name/),
  row('format with two arguments', ['format', 'sched:sched_process_exec', 'sched:sched_switch'], /exactly one/),
  row('format nosuch:x', ['format', 'nosuch:x'], /no trace event nosuch:x/),
  row('format of a malformed name', ['format', 'a:b:c'], /"a:b:c" is not an event name/),
];

/** The probe lines this row could own: its CLI's groups, this file's group, or the kernel's default groups. */
function linesOfRow(lines: string[], cliPid: number): string[] {
  return lines.filter((line) => {
    const group = /^[a-z]\d*:([^/\s]+)\//.exec(line)?.[1] ?? '';
    return group.startsWith(`perfbridge_${cliPid}_`) || group === GROUP || group === 'uprobes' || group === 'kprobes';
  });
}

for (const row of ROWS) {
  test(`bad input: ${row.name}`, async () => {
    // mkdtemp creates the directory with mode 0700, as a registry directory must be.
    const registry = mkdtempSync(join(tmpdir(), 'perf-bridge-registry-'));
    try {
      const before = new Set(allProbeLines());
      const result = await runCli(row.args, { env: { ...process.env, PERF_BRIDGE_REGISTRY_DIR: registry } });
      // Other test suites may add or remove their own probes meanwhile: only lines this row could
      // own count, and those must be exactly as before.
      const after = new Set(allProbeLines());
      const added = [...after].filter((line) => !before.has(line));
      const changed = added.concat([...before].filter((line) => !after.has(line)));
      const { stderr } = result;
      assert.equal(result.code, row.status, `exit status; stderr:\n${stderr}`);
      assert.doesNotMatch(stderr, /^ {4}at /m, 'no JavaScript stack trace');
      assert.match(stderr, /^perf-bridge: /, "the error is perf-bridge's");
      assert.match(stderr, row.says, 'stderr names the problem');
      assert.match(stderr, /\n {2}hint: \S/, 'a hint says what to do');
      assert.equal(result.stdout, '', 'nothing on stdout');
      assert.deepEqual(linesOfRow(changed, result.pid), [], 'no probe created or removed');
      assert.deepEqual(readdirSync(registry), [], 'no registry file left');
    } finally {
      rmSync(registry, { recursive: true, force: true });
    }
  });
}
