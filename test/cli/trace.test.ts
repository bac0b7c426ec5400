/** The perf-bridge command, run as a user would run it. */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, basename } from 'node:path';
import { test } from 'node:test';

import { loadgen } from '../helpers/programs.js';
import { ourProbeLines } from '../helpers/tracefs-state.js';
import { CLI, interruptAfter, parseLine, runCli, runProgram as run, startCli } from './cli-process.js';

test('trace -- COMMAND traces exactly that command and its descendants, from its exec', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'perf-bridge-cli-'));
  const generator = join(dir, 'gen');
  copyFileSync(loadgen(), generator);
  try {
    // dash itself calls getppid() at start-up: enable_on_exec must keep that out.
    const events = ['syscalls:sys_enter_getppid', 'sched:sched_process_exec'];
    const command = [generator, 'exec', '3', generator, 'getppid', '1000'];
    const { stdout, stderr } = await run(CLI, ['trace', ...events, '--', ...command], { maxBuffer: 64 << 20 });
    const lines = stdout.split('\n').filter((line) => line.startsWith('{"event"'));
    const traced = lines.map(parseLine);
    const execs = traced.filter((e) => e.event === 'sched:sched_process_exec');
    assert.equal(execs.length, 4, 'the command itself and its 3 children');
    for (const e of execs) assert.equal((e.fields as { filename: string }).filename, generator);
    assert.equal(traced.filter((e) => e.event === 'syscalls:sys_enter_getppid').length, 3000);
    for (const e of traced) {
      assert.deepEqual(Object.keys(e), ['event', 'cpu', 'pid', 'tid', 'comm', 'time', 'fields']);
      assert.match(String(e.time), /^\d+$/);
      // Every event after the exec is the generator's: its file name, as the kernel keeps 15 bytes.
      assert.equal(e.comm, basename(generator).slice(0, 15));
    }
    assert.match(stderr, /perf-bridge: 3004 events written, 3004 delivered, 0 lost/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the command exit status is passed on', async () => {
  const { code } = await runCli(['trace', 'sched:sched_process_exec', '--', '/bin/sh', '-c', 'exit 7']);
  assert.equal(code, 7);
});

test('--count stops after exactly N events', async () => {
  const command = [loadgen(), 'getppid', '50000'];
  const { stdout, stderr } = await runCli(['trace', 'syscalls:sys_enter_getppid', '--count', '10', '--', ...command]);
  assert.equal(stdout.split('\n').filter((line) => line.startsWith('{"event"')).length, 10);
  assert.match(stderr, /perf-bridge: 10 events written/);
});

test('Ctrl-C stops cleanly, removes the probes and still prints the summary', async () => {
  const withProbe = existsSync('/sys/kernel/tracing/uprobe_events') ? [`${loadgen()}:pb_target`] : [];
  const { code, stderr, pid } = await interruptAfter(['trace', 'sched:sched_process_exec', ...withProbe], 1500);
  assert.equal(code, 0);
  assert.match(stderr, /perf-bridge: \d+ events written, \d+ delivered, 0 lost/);
  assert.deepEqual(ourProbeLines(`perfbridge_${pid}_`), []);
});

test("list and format describe the kernel's events", async () => {
  const list = await run(CLI, ['list', 'sched_process_e']);
  assert.match(list.stdout, /^sched:sched_process_exec$/m);
  const format = await run(CLI, ['format', 'sched:sched_process_exec']);
  assert.match(format.stdout, /^filename +string +__data_loc char\[\] +8 +4$/m);
});

const noUprobes = !existsSync('/sys/kernel/tracing/uprobe_events') && 'kernel has no uprobe_events';

test('trace takes probe definitions and PATH:SYMBOL uprobes, and removes them', { skip: noUprobes }, async () => {
  const binary = loadgen();
  const definition = `r:clitest_${process.pid}/ret ${binary}:pb_target rv=$retval:s64`;
  const events = ['syscalls:sys_enter_getppid', `${binary}:pb_target`, definition];
  const { stdout } = await runCli(['trace', ...events, '--', binary, 'call', '25']);
  const traced = stdout
    .split('\n')
    .filter((line) => line.startsWith('{"event"'))
    .map(parseLine);
  // A probe given on the command line is reported under its name, not the session's private group.
  assert.equal(traced.filter((e) => e.event === 'uprobe_pb_target').length, 25);
  const returns = traced
    .filter((e) => e.event === `clitest_${process.pid}:ret`)
    .map((e) => (e.fields as { rv: number }).rv);
  assert.equal(returns.length, 25);
  assert.equal(returns[0], 'i'.charCodeAt(0)); // pb_target(“item-0”, 0) returns 0 + 'i'
  assert.deepEqual(ourProbeLines(`clitest_${process.pid}`), []);
});

test('a closed stdout (| head) ends the trace cleanly and quietly, with the summary and status 0', async () => {
  const trace = `${CLI} trace syscalls:sys_enter_getppid -- ${loadgen()} getppid 200000`;
  const pipeline = `${trace} | head -c 100 >/dev/null`;
  // pipefail: the status is the CLI's (head's is 0 anyway).
  const { stderr } = await run('bash', ['-o', 'pipefail', '-c', pipeline], { maxBuffer: 1 << 20 });
  assert.match(stderr, /perf-bridge: \d+ events written/);
  assert.doesNotMatch(stderr, /Error|cannot write|^\s+at /m);
});

test('when --count ends the trace, the command and its descendants are stopped', async () => {
  const marker = `perf-bridge-sleep-${process.pid}`;
  const started = Date.now();
  const command = ['sh', '-c', `exec -a ${marker} sleep 30 & wait`];
  await runCli(['trace', 'sched:sched_process_exec', '--count', '1', '--', ...command]);
  assert.ok(Date.now() - started < 10_000, 'did not wait for the command to finish by itself');
  const left = (await run('pgrep', ['-f', marker]).catch(() => ({ stdout: '' }))).stdout.trim();
  assert.equal(left, '', 'no descendant left running');
});

test("Ctrl-C with a command passes the signal on and exits with the command's status", async () => {
  const { code, stderr } = await interruptAfter(['trace', 'sched:sched_process_exec', '--', 'sleep', '30'], 1500);
  assert.equal(code, 130, 'sleep died of SIGINT: 128 + 2');
  assert.match(stderr, /perf-bridge: \d+ events written/);
});

test('Ctrl-C ends the trace even while stdout is full and nobody reads it', async () => {
  // stdout (a pipe nobody reads) is full long before the signal.
  const args = ['trace', 'syscalls:sys_enter_getppid', '--', loadgen(), 'getppid', '300000'];
  const { code, stderr } = await interruptAfter(args, 1500, 'unread');
  assert.notEqual(code, null, 'the CLI exited');
  assert.match(stderr, /perf-bridge: \d+ events written/);
});

test('the installed command runs node with its young generation held small (the shebang)', async () => {
  const cli = startCli(['trace', 'sched:sched_process_exec', '--', 'sleep', '1']);
  // The spawned child is a copy of this process until it execs env, which execs node.
  const commandLine = async (): Promise<string[]> => {
    for (;;) {
      const words = readFileSync(`/proc/${cli.child.pid}/cmdline`, 'utf8').split('\0');
      if (basename(words[0]!) === 'node' && words.includes(CLI)) return words;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  const words = await commandLine();
  assert.ok(words.includes('--max-semi-space-size=1'), words.join(' '));
  assert.equal((await cli.done).code, 0);
});
