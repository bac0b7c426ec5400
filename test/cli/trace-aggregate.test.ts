/**
 * `trace` aggregations end to end: --count-by, --hist and --latency print a table at the end
 * (and every --interval) instead of events, with counts equal to what the load made.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';

import { callValue } from '../helpers/loadgen-calls.js';
import { loadgen } from '../helpers/programs.js';
import { runCli } from './cli-process.js';

const noUprobes = !existsSync('/sys/kernel/tracing/uprobe_events') && 'kernel has no uprobe_events';
/** The generator pinned to one CPU, so that an entry and its return are read from the same ring. */
const PIN = availableParallelism() > 1 ? ['--cpu', '1'] : ['--cpu', '0'];

test('--count-by comm counts the execs of five /bin/true', async () => {
  const script = '/bin/true; /bin/true; /bin/true; /bin/true; /bin/true';
  const args = ['trace', 'sched:sched_process_exec', '--count-by', 'comm', '--', 'sh', '-c', script];
  const { code, stdout, stderr } = await runCli(args);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /^comm\s+COUNT$/m, stdout);
  assert.match(stdout, /^true\s+5$/m, stdout);
  assert.doesNotMatch(stdout, /"event"/, 'no events printed');
  assert.match(stderr, /perf-bridge: 6 events aggregated, 6 delivered, 0 lost/);
});

test('--count-by event with --top 1 shows the most frequent key, and how many more there were', async () => {
  // The generator execs itself twice more, and each of those makes 150 getppid calls.
  const command = [loadgen(), 'exec', '2', loadgen(), 'getppid', '150'];
  const events = ['sched:sched_process_exec', 'syscalls:sys_enter_getppid'];
  const { code, stdout, stderr } = await runCli([
    'trace',
    ...events,
    '--count-by',
    'event',
    '--top',
    '1',
    '--',
    ...command,
  ]);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /^syscalls:sys_enter_getppid\s+300$/m, stdout);
  assert.doesNotMatch(stdout, /^sched:sched_process_exec/m);
  assert.match(stdout, /^… 1 more key \(3 events\) not shown$/m);
});

/** Expected log2 bucket counts of `values`, by the label bpftrace-style tables give them. */
function log2Counts(values: readonly bigint[]): Map<string, number> {
  const power = (k: number) => {
    const suffixes = ['', 'K', 'M', 'G'];
    const step = Math.floor(k / 10);
    return `${2 ** (k - 10 * step)}${suffixes[step]!}`;
  };
  const counts = new Map<string, number>();
  for (const value of values) {
    const magnitude = value < 0n ? -value : value;
    const bits = magnitude.toString(2).length - (magnitude === 0n ? 1 : 0);
    let label: string;
    if (value >= 0n) label = bits <= 1 ? `[${bits}]` : `[${power(bits - 1)}, ${power(bits)})`;
    else label = bits === 1 ? '[-1]' : `(-${power(bits)}, -${power(bits - 1)}]`;
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return counts;
}

test('--hist on a probe argument with known values: every bucket count', { skip: noUprobes }, async () => {
  const calls = 200;
  const binary = loadgen();
  // pb_target(label, value): the value is the second argument, in %si on x86_64.
  const probe = `p ${binary}:pb_target value=%si:s64`;
  const args = ['trace', probe, '--hist', 'value', '--', binary, 'call', String(calls)];
  const { code, stdout, stderr } = await runCli(args);
  assert.equal(code, 0, stderr);
  const expected = log2Counts(Array.from({ length: calls }, (_, i) => callValue(i)));
  const rows = new Map<string, number>();
  for (const match of stdout.matchAll(/^([[(][^\]\n]*?[\])]) +(\d+) \|@* *\|$/gm))
    rows.set(match[1]!, Number(match[2]));
  for (const [label, count] of expected) assert.equal(rows.get(label), count, `bucket ${label}:\n${stdout}`);
  const shown = [...rows.values()].reduce((sum, n) => sum + n, 0);
  assert.equal(shown, calls, 'no value counted twice or left out');
});

test('--latency pairs the uprobe and uretprobe of one function: count = calls', { skip: noUprobes }, async () => {
  const calls = 1000;
  const binary = loadgen();
  const probes = [`${binary}:pb_target`, `r ${binary}:pb_target`];
  const args = ['trace', ...probes, '--latency', '--', binary, 'call', String(calls), ...PIN];
  const { code, stdout, stderr } = await runCli(args);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /^uprobe_pb_target → uretprobe_pb_target$/m, stdout);
  assert.match(stdout, new RegExp(`^count\\s+${calls}$`, 'm'), stdout);
  for (const figure of ['p50', 'p90', 'p99', 'max']) assert.match(stdout, new RegExp(`^${figure}\\s+\\S`, 'm'));
  assert.doesNotMatch(stdout, /unmatched/);
});

test('--latency ENTRY,RETURN names the pair', { skip: noUprobes }, async () => {
  const calls = 100;
  const binary = loadgen();
  const probes = [`${binary}:pb_target`, `r ${binary}:pb_target`];
  const pair = 'uprobe_pb_target,uretprobe_pb_target';
  const args = ['trace', ...probes, '--latency', pair, '--', binary, 'call', String(calls), ...PIN];
  const { code, stdout, stderr } = await runCli(args);
  assert.equal(code, 0, stderr);
  assert.match(stdout, new RegExp(`^count\\s+${calls}$`, 'm'), stdout);
});

test('--latency without a pair among the probes: exit 2, naming what it needs', { skip: noUprobes }, async () => {
  const args = ['trace', `${loadgen()}:pb_target`, '--latency', '--', 'true'];
  const { code, stdout, stderr } = await runCli(args);
  assert.equal(code, 2, stderr);
  assert.equal(stdout, '');
  assert.match(stderr, /--latency needs an entry probe and a return probe on the same function/);
  assert.match(stderr, /hint: .*--latency ENTRY,RETURN/);
});

test('--interval prints a table per interval under the time, each counting its own events', async () => {
  // Two bursts of execs, 1.2 s apart, with a 1 s interval: the tables between them count them apart.
  const script = '/bin/true; /bin/true; sleep 1.5; /bin/true; /bin/true; /bin/true; sleep 1.2';
  const args = ['trace', 'sched:sched_process_exec', '--count-by', 'comm', '--interval', '1', '--', 'sh', '-c', script];
  const { code, stdout, stderr } = await runCli(args);
  assert.equal(code, 0, stderr);
  const tables = stdout.split(/^\d\d:\d\d:\d\d$/m).slice(1);
  assert.ok(tables.length >= 3, stdout);
  const trues = tables.map((table) => Number(/^true\s+(\d+)$/m.exec(table)?.[1] ?? 0));
  assert.equal(
    trues.reduce((sum, n) => sum + n, 0),
    5,
    stdout,
  );
  assert.ok(trues.includes(2) && trues.includes(3), `the bursts in different tables: ${trues.join(', ')}`);
});
