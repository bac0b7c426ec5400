/**
 * Kernel filters keep exactly the events an equivalent JavaScript predicate keeps from an
 * unfiltered session of the same load: two sessions run side by side on one load, one filtered,
 * one not, and the filtered one must equal the other's events passed through the predicate.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';

import type { TraceEvent } from '../../src/decode/records.js';
import { FilterError } from '../../src/filter/errors.js';
import { uprobe } from '../../src/probes/builder.js';
import { reg, deref } from '../../src/probes/fetch.js';
import { type FieldsMap, type Session, openSession } from '../../src/session/session.js';
import { callLabel, callValue } from '../helpers/loadgen-calls.js';
import { loadgen } from '../helpers/programs.js';
import { exited, spawnGated } from '../helpers/processes.js';
import { byTime } from '../helpers/time-order.js';
import { ourProbeLines } from '../helpers/tracefs-state.js';

const GETPPID = 'syscalls:sys_enter_getppid';
const EXEC = 'sched:sched_process_exec';
const noUprobes = !existsSync('/sys/kernel/tracing/uprobe_events') && 'kernel has no uprobe_events';

/** Collects every event a session delivers until close. */
function collect<M extends FieldsMap>(session: Session<M>): TraceEvent[] {
  const events: TraceEvent[] = [];
  session.onBatch((batch) => events.push(...batch));
  return events;
}

/**
 * What a comparison needs of an event: who made it and its fields, sorted. Not its time: each
 * session's perf event stamps the same hit when it writes its own record, nanoseconds apart.
 */
function comparable(events: readonly TraceEvent[]): string[] {
  return events.map((e) => JSON.stringify({ pid: e.pid, tid: e.tid, cpu: e.cpu, fields: e.fields }, bigints)).sort();
}

/** One pb_target call as the uprobe reports it. */
interface Call {
  label: string;
  value: bigint;
}

/** The calls a uprobe session saw, in time order. */
function callsOf(events: readonly TraceEvent[]): Call[] {
  return [...events].sort(byTime).map((e) => ({ label: String(e.fields.label), value: e.fields.value as bigint }));
}

function bigints(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? String(value) : value;
}

test('tracepoint numbers and common_pid with && and ||: the same events as the predicate', async () => {
  const first = spawnGated(loadgen(), ['getppid', '3000']);
  const second = spawnGated(loadgen(), ['getppid', '2000']);
  const [a, b] = [first.child.pid!, second.child.pid!];
  const filters: [string, (e: TraceEvent) => boolean][] = [
    [`common_pid == ${a}`, (e) => e.pid === a],
    [`common_pid == ${a} || common_pid == ${b}`, (e) => e.pid === a || e.pid === b],
    [`(common_pid == ${b}) && __syscall_nr == 110`, (e) => e.pid === b],
    [`!(common_pid != ${a}) && __syscall_nr >= 0x6e`, (e) => e.pid === a],
  ];
  const all = openSession({ events: [GETPPID] });
  const everything = collect(all);
  const filtered = filters.map(([filter]) => openSession({ events: [{ event: GETPPID, filter }] }));
  const kept = filtered.map(collect);
  for (const session of [all, ...filtered]) session.start();
  first.open();
  second.open();
  await Promise.all([first.done, second.done]);
  for (const session of [all, ...filtered]) session.close();
  filters.forEach(([filter, predicate], i) => {
    const expected = comparable(everything.filter(predicate));
    assert.ok(expected.length >= 2000, `${filter}: the load was seen`);
    assert.deepEqual(comparable(kept[i]!), expected, filter);
  });
});

test('tracepoint strings with == and ~ globs: the same events as the predicate', async () => {
  const filters: [string, (e: TraceEvent) => boolean][] = [
    ['filename == "/bin/true"', (e) => e.fields.filename === '/bin/true'],
    ['filename ~ "*/echo"', (e) => String(e.fields.filename).endsWith('/echo')],
    [
      'filename ~ "/usr/bin/*" && filename != "/usr/bin/env"',
      (e) => String(e.fields.filename).startsWith('/usr/bin/') && e.fields.filename !== '/usr/bin/env',
    ],
  ];
  const all = openSession({ events: [EXEC] });
  const everything = collect(all);
  const filtered = filters.map(([filter]) => openSession({ events: [{ event: EXEC, filter }] }));
  const kept = filtered.map(collect);
  for (const session of [all, ...filtered]) session.start();
  for (const argv of [['/bin/true'], ['/bin/echo', 'x'], ['/usr/bin/env', 'true'], ['/usr/bin/printf', '']]) {
    await exited(spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' }));
  }
  for (const session of [all, ...filtered]) session.close();
  filters.forEach(([filter, predicate], i) => {
    const expected = comparable(everything.filter(predicate));
    assert.ok(expected.length >= 1, `${filter}: an exec it keeps was seen`);
    assert.deepEqual(comparable(kept[i]!), expected, filter);
  });
});

test(
  'uprobe string and s64 fetch args: the same calls as the predicate, against every call made',
  { skip: noUprobes },
  async () => {
    const N = 5000;
    const binary = loadgen();
    const probe = () =>
      uprobe(binary, 'pb_target')
        .arg('label', deref(reg('di')).as('string'))
        .arg('value', reg('si').as('s64'));
    const filters: [string, (call: Call) => boolean][] = [
      ['value > 1000 && value < 9000', (call) => call.value > 1000n && call.value < 9000n],
      ['label ~ "item-1*" || value < -4990', (call) => call.label.startsWith('item-1') || call.value < -4990n],
      ['label == "item-7"', (call) => call.label === 'item-7'],
    ];
    const load = spawnGated(binary, ['call', String(N)]);
    const all = openSession({ probes: { call: probe() } });
    const everything = collect(all);
    const filtered = filters.map(([filter]) => openSession({ probes: { call: probe().filter(filter) } }));
    const kept = filtered.map(collect);
    for (const session of [all, ...filtered]) session.start();
    load.open();
    await load.done;
    for (const session of [all, ...filtered]) session.close();
    // Ground truth: the generator's calls, in order (one thread, so time order is call order).
    const calls: Call[] = Array.from({ length: N }, (_, i) => ({ label: callLabel(i), value: callValue(i) }));
    assert.deepEqual(callsOf(everything), calls, 'the unfiltered session saw every call');
    filters.forEach(([filter, predicate], i) => {
      const expected = calls.filter(predicate);
      assert.ok(expected.length > 0, `${filter}: keeps something`);
      assert.deepEqual(callsOf(kept[i]!), expected, filter);
      assert.deepEqual(callsOf(everything).filter(predicate), expected, `${filter}: the predicate on the session`);
    });
    assert.deepEqual(ourProbeLines(`perfbridge_${process.pid}_`), [], 'every probe removed');
  },
);

test('a bad filter is refused before anything is opened, pointing at the mistake', () => {
  assert.throws(
    () => openSession({ events: [{ event: GETPPID, filter: '__syscall_nr == 110 && comon_pid == 1' }] }),
    (error: unknown) => {
      assert.ok(error instanceof FilterError);
      assert.match(error.message, /comon_pid/);
      assert.match(error.hint, /common_pid/);
      return true;
    },
  );
});
