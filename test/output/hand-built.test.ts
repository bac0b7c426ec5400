/**
 * Every format against the decoded objects on hand-built batches: awkward strings (quotes,
 * backslashes, control characters, invalid UTF-8) in `char[N]` and `__data_loc` fields and in
 * thread names, extreme 64-bit values, three events on two CPUs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { EventWriter, type OutputOptions } from '../../src/output/index.js';
import { FORMATS, NAMES, decodeBoth, mixedRows } from './batches.js';
import {
  canonical,
  csvRowOf,
  secondsOf,
  syscallNames,
  textFieldsOf,
  eventAsParsed,
  inTimeOrder,
  parseCsv,
  parseJsonBigInt,
  parseTextLine,
} from './oracle.js';

const ORIGIN = 999_999_000_000n;

function options(format: OutputOptions['format'], absoluteTime = false): OutputOptions {
  return { format, timeOrigin: ORIGIN, absoluteTime };
}

/** Lines of a buffer that ends with a line end. */
function lines(bytes: Buffer, end = '\n'): string[] {
  const text = bytes.toString('utf8');
  assert.ok(text.endsWith(end), 'the output ends with a line end');
  return text.slice(0, -end.length).split(end);
}

test('jsonl: every line parses to the decoded object of its event, 64-bit values exact, keys in order', () => {
  const { objects, columns } = decodeBoth(mixedRows(), NAMES);
  const writer = new EventWriter(FORMATS, options('jsonl'));
  assert.equal(writer.header().length, 0);
  const { bytes, rows } = writer.write(columns, Infinity);
  assert.equal(rows, objects.length);
  const parsed = lines(bytes).map(parseJsonBigInt);
  assert.deepEqual(parsed.map(canonical).sort(), objects.map(eventAsParsed).map(canonical).sort());
  // canonical() keeps key order: check it against the CLI's object serializer's order too.
  for (const line of parsed)
    assert.deepEqual(Object.keys(line as object), ['event', 'cpu', 'pid', 'tid', 'comm', 'time', 'fields']);
  const batchOrder = new EventWriter(FORMATS, { ...options('jsonl'), order: 'batch' }).write(columns, Infinity).bytes;
  assert.deepEqual(
    lines(batchOrder).map(parseJsonBigInt).map(canonical),
    [...columns.events.keys()].flatMap((name) =>
      objects.filter((event) => event.event === name).map((event) => canonical(eventAsParsed(event))),
    ),
    'batch order: each event in turn, ring order within it',
  );
  const times = parsed.map((line) => (line as Record<string, bigint>).time!);
  assert.deepEqual(
    times,
    [...times].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
    'time order across events and CPUs',
  );
});

test('jsonl: limit writes the first rows in time order, and batches reuse no memory handed out', () => {
  const { objects, columns } = decodeBoth(mixedRows(), NAMES);
  const writer = new EventWriter(FORMATS, options('jsonl'));
  const first = writer.write(columns, 5);
  const copy = Buffer.from(first.bytes);
  assert.equal(first.rows, 5);
  const expected = inTimeOrder(objects).slice(0, 5).map(eventAsParsed).map(canonical);
  assert.deepEqual(lines(first.bytes).map(parseJsonBigInt).map(canonical), expected);
  const second = writer.write(columns, 3);
  assert.equal(second.rows, 3);
  assert.deepEqual(first.bytes, copy, 'the first buffer is untouched by the second write');
  assert.equal(writer.write(columns, 0).bytes.length, 0);
});

test('csv: header is the union of the fields in first-appearance order; rows parse back to the objects', () => {
  const { objects, columns } = decodeBoth(mixedRows(), NAMES);
  const writer = new EventWriter(FORMATS, options('csv'));
  const text = Buffer.concat([writer.header(), writer.write(columns, Infinity).bytes]).toString('utf8');
  const [header = [], ...rows] = parseCsv(text);
  assert.deepEqual(header, [
    ...['event', 'cpu', 'pid', 'tid', 'comm', 'time'],
    ...['filename', 'fields.pid', 'old_pid'],
    ...['prev_comm', 'prev_pid', 'prev_prio', 'prev_state', 'next_comm', 'next_pid', 'next_prio'],
    ...['id', 'args'],
  ]);
  assert.ok(text.includes('\r\n'), 'CRLF line ends');
  const expected = objects.map((event) => JSON.stringify(csvRowOf(event, header)));
  assert.deepEqual(rows.map((row) => JSON.stringify(row)).sort(), expected.sort());
});

test('text: comm, pid/tid, [cpu], seconds since the origin, event, field=value pairs, in time order', () => {
  const { objects, columns } = decodeBoth(mixedRows(), NAMES);
  const writer = new EventWriter(FORMATS, options('text'));
  assert.equal(writer.header().length, 0);
  const parsed = lines(writer.write(columns, Infinity).bytes).map(parseTextLine);
  const expected = inTimeOrder(objects);
  const syscalls = syscallNames();
  assert.equal(parsed.length, expected.length);
  parsed.forEach((line, i) => {
    const event = expected[i]!;
    assert.equal(line.comm, event.comm);
    assert.deepEqual(
      [line.pid, line.tid, line.cpu, line.event],
      [event.pid, event.tid, String(event.cpu).padStart(3, '0'), event.event],
    );
    assert.equal(line.seconds, secondsOf(event.time - ORIGIN));
    assert.equal(line.fields, textFieldsOf(event, syscalls));
  });
  if (syscalls.size > 0) {
    const text = parsed.map((line) => line.fields).join('\n');
    assert.match(text, / id=39 \(getpid\) args=/);
    assert.match(text, / id=450 \(set_mempolicy_home_node\) args=/);
    assert.match(text, / id=-1 args=/, 'no name for -1');
    assert.match(text, / id=100000 args=/, 'no name for a number past the table');
  }
});

test('text: absolute time prints the monotonic value; times before the origin are negative', () => {
  const { objects, columns } = decodeBoth(mixedRows(), NAMES);
  const secondsWith = (timeOrigin: bigint, absoluteTime: boolean) =>
    lines(new EventWriter(FORMATS, { format: 'text', timeOrigin, absoluteTime }).write(columns, Infinity).bytes).map(
      (line) => parseTextLine(line).seconds,
    );
  const ordered = inTimeOrder(objects);
  const absolute = secondsWith(ORIGIN, true);
  assert.deepEqual(
    absolute,
    ordered.map((event) => secondsOf(event.time)),
  );
  assert.ok(absolute.includes('18446744073.709551'), 'the largest time, beyond 2^53 ns');
  for (const origin of [1_000_000_001_500n, 1_000_003_000_000n, 2n ** 63n]) {
    assert.deepEqual(
      secondsWith(origin, false),
      ordered.map((event) => secondsOf(event.time - origin)),
      `origin ${origin}`,
    );
  }
  assert.equal(secondsWith(1_000_000_001_500n, false)[0], '-0.000000', '500 ns before the origin');
  assert.equal(secondsWith(1_000_003_000_000n, false)[0], '-0.002999');
});

test('warmUp runs every event and changes no output; setTimeOrigin moves text times as the option does', () => {
  const { columns } = decodeBoth(mixedRows(), NAMES);
  for (const format of ['jsonl', 'csv', 'text'] as const) {
    const fresh = new EventWriter(FORMATS, options(format)).write(columns, Infinity).bytes.toString('latin1');
    const warmed = new EventWriter(FORMATS, { format, timeOrigin: 0n, absoluteTime: false });
    const passes = warmed.warmUp(10_000);
    assert.deepEqual([...passes.keys()], [...FORMATS.keys()], `${format}: every event warmed`);
    // At least one pass each (a slow first, interpreted pass may use up an event's whole limit).
    for (const [event, times] of passes) assert.ok(times.length >= 1, `${format}: ${event} was run`);
    warmed.setTimeOrigin(ORIGIN);
    assert.equal(warmed.write(columns, Infinity).bytes.toString('latin1'), fresh, format);
  }
});
