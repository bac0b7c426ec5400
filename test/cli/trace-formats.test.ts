/**
 * `trace --format text|jsonl|csv` end to end: a generator makes a known number of getppid calls
 * under `trace -- COMMAND`; each format writes exactly one row per call, in its own shape.
 */
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { test } from 'node:test';

import { loadgen } from '../helpers/programs.js';
import { parseLine, runCli } from './cli-process.js';

const GETPPID = 'syscalls:sys_enter_getppid';
const CALLS = 2000;

/** Traces CALLS getppid calls of the generator in `format` (undefined: the default) and returns stdout's lines. */
async function traceGetppid(format: string | undefined): Promise<{ lines: string[]; stderr: string }> {
  const formatOption = format === undefined ? [] : ['--format', format];
  const { code, stdout, stderr } = await runCli([
    'trace',
    GETPPID,
    ...formatOption,
    '--',
    loadgen(),
    'getppid',
    String(CALLS),
  ]);
  assert.equal(code, 0, stderr);
  assert.match(stderr, new RegExp(`perf-bridge: ${CALLS} events written, ${CALLS} delivered, 0 lost`));
  return { lines: stdout.split('\n').filter((line) => line !== ''), stderr };
}

const COMM = basename(loadgen()).slice(0, 15);

test('jsonl, the default when stdout is not a terminal: one object per call', async () => {
  for (const format of [undefined, 'jsonl']) {
    const { lines } = await traceGetppid(format);
    assert.equal(lines.length, CALLS, `format ${format ?? '(default)'}`);
    const events = lines.map(parseLine);
    const pids = new Set(events.map((e) => e.pid));
    assert.equal(pids.size, 1, 'all from the generator');
    for (const e of events) {
      assert.deepEqual(Object.keys(e), ['event', 'cpu', 'pid', 'tid', 'comm', 'time', 'fields']);
      assert.equal(e.event, GETPPID);
      assert.equal(e.comm, COMM);
    }
  }
});

test('csv: a header line, then one row per call with the same number of columns', async () => {
  const { lines } = await traceGetppid('csv');
  assert.equal(lines.length, CALLS + 1);
  const header = lines[0]!.split(',');
  assert.deepEqual(header.slice(0, 2), ['event', 'cpu']);
  for (const name of ['pid', 'tid', 'comm', 'time'])
    assert.ok(header.includes(name), `header has ${name}: ${lines[0]}`);
  const commColumn = header.indexOf('comm');
  for (const line of lines.slice(1)) {
    const cells = line.split(',');
    assert.equal(cells.length, header.length, line);
    assert.equal(cells[0], GETPPID);
    assert.equal(cells[commColumn]?.replace(/^"|"$/g, ''), COMM);
  }
});

test('text: one perf-script-like line per call, times in seconds since the start, increasing per CPU', async () => {
  const { lines } = await traceGetppid('text');
  assert.equal(lines.length, CALLS);
  const lastTimeByCpu = new Map<number, number>();
  for (const line of lines) {
    // comm pid/tid [cpu] seconds: event: fields
    const match = /^\s*(\S+)\s+(\d+)\/(\d+)\s+\[(\d+)\]\s+(\d+\.\d{6}):\s+(\S+):/.exec(line);
    assert.ok(match, `text line shape: ${JSON.stringify(line)}`);
    const [, comm, , , cpu, seconds, event] = match;
    assert.equal(comm, COMM);
    assert.equal(event, GETPPID);
    const time = Number(seconds);
    assert.ok(time >= 0 && time < 60, `seconds since the trace began: ${seconds}`);
    assert.ok(time >= (lastTimeByCpu.get(Number(cpu)) ?? 0), 'in time order on each CPU');
    lastTimeByCpu.set(Number(cpu), time);
  }
});

test('--abs-time: text times are the monotonic clock in seconds', async () => {
  const before = Number(process.hrtime.bigint()) / 1e9;
  const args = ['trace', GETPPID, '--format', 'text', '--abs-time', '--', loadgen(), 'getppid', '10'];
  const { code, stdout, stderr } = await runCli(args);
  const after = Number(process.hrtime.bigint()) / 1e9;
  assert.equal(code, 0, stderr);
  const times = stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => Number(/\s(\d+\.\d{6}):\s/.exec(line)?.[1]));
  assert.equal(times.length, 10);
  for (const time of times) assert.ok(time >= before && time <= after, `${time} within [${before}, ${after}]`);
});

test('--count N writes exactly N rows in every format (CSV: plus its header)', async () => {
  for (const format of ['text', 'jsonl', 'csv']) {
    const args = ['trace', GETPPID, '--format', format, '--count', '7', '--', loadgen(), 'getppid', '50000'];
    const { stdout, stderr } = await runCli(args);
    const rows = stdout.split('\n').filter((line) => line !== '').length;
    assert.equal(rows, format === 'csv' ? 8 : 7, `${format}: ${stdout}`);
    assert.match(stderr, /perf-bridge: 7 events written/);
  }
});
