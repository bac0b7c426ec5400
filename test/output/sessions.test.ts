/**
 * Every format against the decoded objects of real sessions: both listeners on one session, so
 * each columnar batch is serialized and compared with the objects decoded from the same bytes
 * (delivered just before it). Tracepoints of a getppid load (with raw_syscalls, whose ids the text
 * format names), and a uprobe on a program that passes awkward strings (quotes, backslashes,
 * control characters, invalid UTF-8) and 64-bit extremes under an awkward process name.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';

import type { ColumnBatch } from '../../src/decode/columns.js';
import type { TraceEvent } from '../../src/decode/records.js';
import { EventWriter, type OutputFormat } from '../../src/output/index.js';
import { uprobe } from '../../src/probes/builder.js';
import { deref, reg } from '../../src/probes/fetch.js';
import { type FieldsMap, type Session, openSession } from '../../src/session/session.js';
import { spawnGated } from '../helpers/processes.js';
import { buildProgram, loadgen } from '../helpers/programs.js';
import {
  canonical,
  csvRowOf,
  eventAsParsed,
  parseCsv,
  parseJsonBigInt,
  parseTextLine,
  secondsOf,
  syscallNames,
  textFieldsOf,
} from './oracle.js';

const noUprobes =
  !existsSync('/sys/kernel/tracing/uprobe_events') && 'kernel has no uprobe_events (CONFIG_UPROBE_EVENTS)';
const FORMATS: readonly OutputFormat[] = ['jsonl', 'csv', 'text'];

/** What the formats wrote and what they were compared with, over a whole session. */
interface Comparison {
  /** Rows each format wrote, by format. */
  rows: Record<OutputFormat, number>;
  /** Objects compared against, by event. */
  objects: Map<string, TraceEvent[]>;
  /** The first mismatch found, per format. */
  mismatches: string[];
}

/** Sorted copies, for comparing what is written in time order with objects in ring order. */
function sorted(items: readonly string[]): string[] {
  return [...items].sort();
}

/** The jsonl, csv and text of one batch, each taken apart, against the objects of the same batch. */
function compareBatch(
  writers: Record<OutputFormat, EventWriter>,
  columns: ColumnBatch,
  objects: TraceEvent[],
  origin: bigint,
  out: Comparison,
): void {
  const syscalls = syscallNames();
  for (const format of FORMATS) {
    const { bytes, rows } = writers[format].write(columns, Infinity);
    out.rows[format] += rows;
    const text = bytes.toString('utf8');
    let actual: string[];
    let expected: string[];
    if (format === 'jsonl') {
      actual = text
        .split('\n')
        .slice(0, -1)
        .map((line) => canonical(parseJsonBigInt(line)));
      expected = objects.map((event) => canonical(eventAsParsed(event)));
    } else if (format === 'csv') {
      const header = parseCsv(writers.csv.header().toString('utf8'))[0]!;
      actual = parseCsv(text).map((row) => JSON.stringify(row));
      expected = objects.map((event) => JSON.stringify(csvRowOf(event, header)));
    } else {
      actual = text
        .split('\n')
        .slice(0, -1)
        .map((line) => JSON.stringify(parseTextLine(line)));
      expected = objects.map((event) =>
        JSON.stringify({
          comm: event.comm,
          pid: event.pid,
          tid: event.tid,
          cpu: String(event.cpu).padStart(3, '0'),
          seconds: secondsOf(event.time - origin),
          event: event.event,
          fields: textFieldsOf(event, syscalls),
        }),
      );
    }
    writers[format].recycle(bytes);
    if (out.mismatches.some((m) => m.startsWith(format))) continue;
    try {
      assert.deepEqual(sorted(actual), sorted(expected));
    } catch (error) {
      out.mismatches.push(`${format}: ${String(error)}`);
    }
  }
  for (const event of objects) {
    const list = out.objects.get(event.event) ?? [];
    list.push(event);
    out.objects.set(event.event, list);
  }
}

/** Compares every batch of `session` until it closes. */
function compareAll<M extends FieldsMap>(session: Session<M>): Comparison {
  const origin = process.hrtime.bigint();
  const writers = Object.fromEntries(
    FORMATS.map((format) => [
      format,
      new EventWriter(session.formats, { format, timeOrigin: origin, absoluteTime: false }),
    ]),
  ) as Record<OutputFormat, EventWriter>;
  const out: Comparison = { rows: { jsonl: 0, csv: 0, text: 0 }, objects: new Map(), mismatches: [] };
  let objects: TraceEvent[] = [];
  session.onBatch((batch) => (objects = [...batch]));
  session.onColumns((columns) => {
    // Objects of the same drained bytes are delivered first; excluded rows are in neither.
    compareBatch(writers, columns, objects, origin, out);
    objects = [];
  });
  return out;
}

/** Runs the gated `load` under `session`, comparing every batch; no format may mismatch. */
async function runCompared<M extends FieldsMap>(
  session: Session<M>,
  load: { open: () => void; done: Promise<string> },
): Promise<Comparison> {
  const comparison = compareAll(session);
  session.start();
  load.open();
  await load.done;
  session.stop();
  assert.deepEqual(comparison.mismatches, []);
  return comparison;
}

test('tracepoints: jsonl, csv and text of every batch equal the decoded objects (getppid, raw_syscalls)', async () => {
  const N = 3000;
  const load = spawnGated(loadgen(), ['getppid', String(N)]);
  const events = ['syscalls:sys_enter_getppid', 'raw_syscalls:sys_enter', 'raw_syscalls:sys_exit'];
  const session = openSession({ events, pid: load.child.pid! });
  try {
    const comparison = await runCompared(session, load);
    assert.equal(comparison.objects.get('syscalls:sys_enter_getppid')?.length, N, 'every getppid call seen');
    const total = [...comparison.objects.values()].reduce((sum, list) => sum + list.length, 0);
    assert.deepEqual(comparison.rows, { jsonl: total, csv: total, text: total });
    const enters = comparison.objects.get('raw_syscalls:sys_enter') ?? [];
    assert.ok(enters.filter((e) => e.fields.id === 110n).length >= N, 'raw_syscalls saw the getppid calls');
  } finally {
    session.close();
  }
});

test(
  'uprobe strings with quotes, backslashes, control characters and invalid UTF-8, 64-bit extremes, an awkward comm',
  { skip: noUprobes },
  async () => {
    const ROUNDS = 500;
    const TEXTS = 6;
    const binary = buildProgram('test/output/awkward-strings.c');
    const load = spawnGated(binary, [String(ROUNDS)]);
    const probe = uprobe(binary, 'pb_show')
      .arg('text', deref(reg('di')).as('string'))
      .arg('value', reg('si').as('s64'));
    const session = openSession({ probes: { show: probe }, pid: load.child.pid! });
    try {
      const comparison = await runCompared(session, load);
      const calls = comparison.objects.get('show') ?? [];
      assert.equal(calls.length, ROUNDS * TEXTS, 'every call seen');
      assert.deepEqual(comparison.rows, { jsonl: calls.length, csv: calls.length, text: calls.length });
      // The awkward cases did occur: the comparison covered them.
      const texts = new Set(calls.map((e) => e.fields.text as string));
      assert.ok(texts.has('say "hi", then \\leave\\'));
      assert.ok(
        [...texts].some((t) => t.includes('\uFFFD')),
        'invalid UTF-8 decoded as U+FFFD',
      );
      assert.ok(
        [...texts].some((t) => t.includes('\x07')),
        'a control character',
      );
      const values = new Set(calls.map((e) => e.fields.value as bigint));
      assert.ok(values.has(-(2n ** 63n)) && values.has(2n ** 63n - 1n), '64-bit extremes');
      assert.ok(
        calls.some((e) => e.comm.includes('"') && e.comm.includes('\\')),
        `awkward comm: ${calls[0]?.comm}`,
      );
    } finally {
      session.close();
    }
  },
);
