/** `trace --stack`: frames under each event in text, an array in jsonl, folded stacks, count by stack. */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { test } from 'node:test';

import { stackTarget, stackTargetCommand } from '../helpers/stack-target.js';
import { parseLine, runCli } from './cli-process.js';

const CALLS = 5;
const CHAIN = ['probe_me', 'inner', 'outer', 'main'];

/** `trace` of a uprobe on the fixture's probe_me with `args`, run on the fixture called CALLS times. */
async function traceProbe(args: string[]): Promise<string> {
  const program = stackTarget();
  const result = await runCli([
    'trace',
    `${program}:probe_me`,
    '--stack',
    'user',
    ...args,
    '--',
    ...stackTargetCommand(CALLS),
  ]);
  assert.equal(result.code, 0, result.stderr);
  return result.stdout;
}

test('jsonl: each event has its stack as an array of frames, innermost first', async () => {
  const lines = (await traceProbe(['--format', 'jsonl'])).split('\n').filter((line) => line !== '');
  assert.equal(lines.length, CALLS);
  for (const line of lines) {
    const stack = parseLine(line).stack as { ip: string; symbol?: string; offset?: number; module?: string }[];
    assert.deepEqual(
      stack.slice(0, 4).map((frame) => frame.symbol),
      CHAIN,
    );
    assert.match(stack[0]!.ip, /^0x[0-9a-f]+$/);
    assert.equal(stack[0]!.offset, 0);
    assert.equal(stack[0]!.module, stackTarget());
  }
});

test('text: the frames follow each event line, one per line, as perf script prints them', async () => {
  const lines = (await traceProbe(['--format', 'text'])).split('\n');
  const frames = lines.filter((line) => line.startsWith('\t'));
  assert.equal(frames.filter((line) => line.includes(' probe_me+0x0 ')).length, CALLS);
  const first = lines.findIndex((line) => !line.startsWith('\t'));
  assert.deepEqual(
    lines.slice(first + 1, first + 5).map((line) => /^\t[0-9a-f]{16} (\S+)\+0x[0-9a-f]+ \(/.exec(line)?.[1]),
    CHAIN,
  );
});

test('--format folded: one line per stack, outermost first, with its count', async () => {
  const lines = (await traceProbe(['--format', 'folded'])).split('\n').filter((line) => line !== '');
  assert.equal(lines.length, 1, lines.join('\n'));
  assert.match(lines[0]!, new RegExp(`;main;outer;inner;probe_me ${CALLS}$`));
  assert.ok(lines[0]!.startsWith('stack_target-'), 'starts with the thread name');
});

test('--count-by stack counts events by their folded stack', async () => {
  const table = await traceProbe(['--count-by', 'stack']);
  assert.match(table, new RegExp(`;main;outer;inner;probe_me +${CALLS}\\n`));
});

test('--stack is refused where it cannot be shown, and folded or --count-by stack need it', async () => {
  const cases: [string[], RegExp][] = [
    [['sched:sched_switch', '--format', 'folded'], /--format folded needs --stack/],
    [['sched:sched_switch', '--count-by', 'stack'], /--count-by stack needs --stack/],
    [['sched:sched_switch', '--stack', 'user', '--format', 'csv'], /csv has no place for stacks/],
    [['sched:sched_switch', '--stack', 'users'], /--stack users is not one of kernel, user, both/],
  ];
  for (const [args, message] of cases) {
    const result = await runCli(['trace', ...args]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, message);
  }
});

test('a Node program run with --perf-basic-prof: the JavaScript function behind getppid() is in its user stack', async () => {
  const script = 'function pbNamedCaller(){ return process.ppid } for (let i = 0; i < 200; i++) pbNamedCaller()';
  const node = [process.execPath, '--perf-basic-prof', '--interpreted-frames-native-stack', '-e', script];
  const command = ['trace', 'syscalls:sys_enter_getppid', '--stack', 'user', '--format', 'jsonl', '--', ...node];
  const result = await runCli(command);
  const events = result.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map(parseLine);
  // The map is the traced node's, which this test started: remove it.
  for (const pid of new Set(events.map((event) => event.pid))) rmSync(`/tmp/perf-${String(pid)}.map`, { force: true });
  assert.equal(result.code, 0, result.stderr);
  const named = events.filter((event) =>
    (event.stack as { symbol?: string; module?: string }[]).some(
      (frame) => frame.module === '[jit]' && frame.symbol?.includes('pbNamedCaller') === true,
    ),
  );
  assert.ok(named.length >= 200, `${named.length} of ${events.length} events name pbNamedCaller`);
});
