/** The perf-bridge command, run as a user would run it. */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

import { PROJECT_ROOT } from '../helpers/fixtures.js';
import { loadgen } from '../helpers/programs.js';

const run = promisify(execFile);
const CLI = join(PROJECT_ROOT, 'dist', 'cli', 'main.js');

/** Parses a JSON line keeping 64-bit integers exact (they are printed as plain digits). */
function parseLine(line: string): Record<string, unknown> {
  return JSON.parse(line.replace(/:(\d{16,})/g, ':"$1"')) as Record<string, unknown>;
}

/** Runs the CLI, sends SIGINT after `ms`, and returns how it ended. stdout is read and dropped unless `readStdout` is false. */
async function interruptAfter(args: string[], ms: number, readStdout = true): Promise<{ code: number | null; stderr: string; pid: number }> {
  const child = spawn('node', [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  if (readStdout) child.stdout.resume();
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await new Promise((resolve) => setTimeout(resolve, ms));
  child.kill('SIGINT');
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, stderr, pid: child.pid! };
}

test('trace -- COMMAND traces exactly that command and its descendants, from its exec', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'perf-bridge-cli-'));
  const generator = join(dir, 'gen');
  copyFileSync(loadgen(), generator);
  try {
    // dash itself calls getppid() at start-up: enable_on_exec must keep that out.
    const { stdout, stderr } = await run('node', [CLI, 'trace', 'syscalls:sys_enter_getppid', 'sched:sched_process_exec', '--', generator, 'exec', '3', generator, 'getppid', '1000'], {
      maxBuffer: 64 << 20,
    });
    const lines = stdout.split('\n').filter((line) => line.startsWith('{"event"'));
    const events = lines.map(parseLine);
    const execs = events.filter((e) => e.event === 'sched:sched_process_exec');
    assert.equal(execs.length, 4, 'the command itself and its 3 children');
    for (const e of execs) assert.equal((e.fields as { filename: string }).filename, generator);
    assert.equal(events.filter((e) => e.event === 'syscalls:sys_enter_getppid').length, 3000);
    for (const e of events) {
      assert.deepEqual(Object.keys(e), ['event', 'cpu', 'pid', 'tid', 'time', 'fields']);
      assert.match(String(e.time), /^\d+$/);
    }
    assert.match(stderr, /perf-bridge: 3004 events written, 3004 delivered, 0 lost/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the command exit status is passed on', async () => {
  await assert.rejects(run('node', [CLI, 'trace', 'sched:sched_process_exec', '--', '/bin/sh', '-c', 'exit 7']), (error: { code?: number }) => {
    assert.equal(error.code, 7);
    return true;
  });
});

test('--count stops after exactly N events', async () => {
  const { stdout, stderr } = await run('node', [CLI, 'trace', 'syscalls:sys_enter_getppid', '--count', '10', '--', loadgen(), 'getppid', '50000']);
  assert.equal(stdout.split('\n').filter((line) => line.startsWith('{"event"')).length, 10);
  assert.match(stderr, /perf-bridge: 10 events written/);
});

test('Ctrl-C stops cleanly, removes the probes and still prints the summary', async () => {
  const withProbe = existsSync('/sys/kernel/tracing/uprobe_events') ? [`${loadgen()}:pb_target`] : [];
  const { code, stderr, pid } = await interruptAfter(['trace', 'sched:sched_process_exec', ...withProbe], 1500);
  assert.equal(code, 0);
  assert.match(stderr, /perf-bridge: \d+ events written, \d+ delivered, 0 lost/);
  if (withProbe.length > 0) assert.equal(readFileSync('/sys/kernel/tracing/uprobe_events', 'utf8').includes(`perfbridge_${pid}_`), false);
});

test('usage errors say what is wrong and exit 2', async () => {
  const cases: [string[], RegExp][] = [
    [['trace'], /trace needs at least one event/],
    [['trace', 'sched:sched_process_exec', '--count', 'x'], /--count must be a positive integer/],
    [['trace', 'sched:sched_process_exec', '--format', 'csv'], /--format csv is not supported/],
    [['trace', 'nope:nothing'], /no trace event nope:nothing/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['trace', 'sched:sched_process_exec', '--'], /nothing after --/],
  ];
  for (const [args, message] of cases) {
    await assert.rejects(run('node', [CLI, ...args]), (error: { code?: number; stderr?: string }) => {
      assert.equal(error.code, 2, args.join(' '));
      assert.match(error.stderr ?? '', message);
      return true;
    });
  }
});

test('list and format describe the kernel\'s events', async () => {
  const list = await run('node', [CLI, 'list', 'sched_process_e']);
  assert.match(list.stdout, /^sched:sched_process_exec$/m);
  const format = await run('node', [CLI, 'format', 'sched:sched_process_exec']);
  assert.match(format.stdout, /^filename\t__data_loc char\[\]\toffset 8\tsize 4/m);
});

test('trace takes probe definitions and PATH:SYMBOL uprobes beside tracepoints, and removes them', { skip: !existsSync('/sys/kernel/tracing/uprobe_events') && 'kernel has no uprobe_events' }, async () => {
  const binary = loadgen();
  const { stdout } = await run('node', [
    CLI, 'trace', 'syscalls:sys_enter_getppid', `${binary}:pb_target`, `r:clitest_${process.pid}/ret ${binary}:pb_target rv=$retval:s64`,
    '--', binary, 'call', '25',
  ]);
  const events = stdout.split('\n').filter((line) => line.startsWith('{"event"')).map(parseLine);
  assert.equal(events.filter((e) => /^perfbridge_\d+_0:p_loadgen_0x[0-9a-f]+$/.test(String(e.event))).length, 25);
  const returns = events.filter((e) => e.event === `clitest_${process.pid}:ret`).map((e) => (e.fields as { rv: number }).rv);
  assert.equal(returns.length, 25);
  assert.equal(returns[0], 'i'.charCodeAt(0)); // pb_target(“item-0”, 0) returns 0 + 'i'
  assert.equal(readFileSync('/sys/kernel/tracing/uprobe_events', 'utf8').includes(`clitest_${process.pid}`), false);
});

test('a closed stdout (| head) ends the trace cleanly, with the summary', async () => {
  const { stdout, stderr } = await run('sh', ['-c', `node ${CLI} trace syscalls:sys_enter_getppid -- ${loadgen()} getppid 200000 | head -c 100 >/dev/null; echo "status $?"`], {
    maxBuffer: 1 << 20,
  });
  assert.match(stdout, /status 0/);
  assert.match(stderr, /perf-bridge: \d+ events written/);
  assert.doesNotMatch(stderr, /Error|at /);
});

test('when --count ends the trace, the command and its descendants are stopped', async () => {
  const marker = `perf-bridge-sleep-${process.pid}`;
  const started = Date.now();
  await run('node', [CLI, 'trace', 'sched:sched_process_exec', '--count', '1', '--', 'sh', '-c', `exec -a ${marker} sleep 30 & wait`]).catch(() => undefined);
  assert.ok(Date.now() - started < 10_000, 'did not wait for the command to finish by itself');
  const left = (await run('pgrep', ['-f', marker]).catch(() => ({ stdout: '' }))).stdout.trim();
  assert.equal(left, '', 'no descendant left running');
});

test('Ctrl-C with a command passes the signal on and exits with the command\'s status', async () => {
  const { code, stderr } = await interruptAfter(['trace', 'sched:sched_process_exec', '--', 'sleep', '30'], 1500);
  assert.equal(code, 130, 'sleep died of SIGINT: 128 + 2');
  assert.match(stderr, /perf-bridge: \d+ events written/);
});

test('Ctrl-C ends the trace even while stdout is full and nobody reads it', async () => {
  // stdout (a pipe nobody reads) is full long before the signal.
  const { code, stderr } = await interruptAfter(['trace', 'syscalls:sys_enter_getppid', '--', loadgen(), 'getppid', '300000'], 1500, false);
  assert.notEqual(code, null, 'the CLI exited');
  assert.match(stderr, /perf-bridge: \d+ events written/);
});
