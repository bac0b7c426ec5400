import assert from 'node:assert/strict';
import { test } from 'node:test';

import { type ColumnSlot, decodeColumns } from '../../src/decode/column-records.js';
import { ColumnArena, type EventColumns, StringColumn } from '../../src/decode/columns.js';
import { compileColumns } from '../../src/decode/compile-columns.js';
import { compileDecoder } from '../../src/decode/compile.js';
import { parseFormat } from '../../src/decode/format.js';
import { type EventSlot, type TraceEvent, decodeRecords } from '../../src/decode/records.js';
import { batchContext } from '../helpers/batch-context.js';
import { fixture } from '../helpers/fixtures.js';
import { encodeSample, execRaw, getppidRaw } from '../helpers/sample-records.js';

const FORMATS: [string, string][] = [
  ['exec', fixture('formats/linux-6.18', 'sched_sched_process_exec.format')],
  ['getppid', fixture('formats/linux-6.18', 'syscalls_sys_enter_getppid.format')],
];

/** Ids 1 and 2 (two rings) are exec, 3 is getppid; 9 is unknown. */
const IDS: [number, number][] = [
  [1, 0],
  [2, 0],
  [3, 1],
];

function columnSlots(): Map<number, ColumnSlot> {
  const slots = FORMATS.map(([name, format]) => ({
    name,
    columns: compileColumns(parseFormat(format)),
    errors: { count: 0 },
    arena: new ColumnArena(),
  }));
  return new Map(IDS.map(([id, event]) => [id, slots[event]!]));
}

function objectSlots(): Map<number, EventSlot> {
  const slots = FORMATS.map(([name, format]) => ({
    name,
    decode: compileDecoder(parseFormat(format)),
    errors: { count: 0 },
    delivered: 0,
    chainDepth: -1,
  }));
  return new Map(IDS.map(([id, event]) => [id, slots[event]!]));
}

/** Row `row` of an event's columns in the shape of a decoded event (exec and getppid fields). */
function rowOf(name: string, columns: EventColumns, row: number): TraceEvent {
  const fields: Record<string, unknown> = {};
  for (const [field, column] of Object.entries(columns.fields)) {
    fields[field] = column instanceof StringColumn ? column.get(row) : (column as Int32Array)[row];
  }
  return {
    event: name,
    cpu: columns.cpu[row]!,
    pid: columns.pid[row]!,
    tid: columns.tid[row]!,
    comm: columns.comm[row]!,
    time: columns.time[row]!,
    fields,
  };
}

/** Both decoders over one batch: the events each produced (columns in ring order per event) and their counts. */
function decodeBoth(batch: Buffer, excludedPids: number[]) {
  const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  const context = batchContext({ 10: 'ten', 20: 'twenty', 30: 'thirty' }, excludedPids);
  const objects: TraceEvent[] = [];
  const objectErrors = { malformed: 0 };
  const decoders = objectSlots();
  decodeRecords(batch, view, batch.length, decoders, context, objects, objectErrors);
  const slots = columnSlots();
  const columnErrors = { malformed: 0 };
  const columns = decodeColumns(batch, view, batch.length, slots, context, columnErrors);
  const rows = [...columns.events].flatMap(([name, event]) =>
    Array.from({ length: event.length }, (_, row) => rowOf(name, event, row)),
  );
  return {
    objects,
    rows,
    names: [...columns.events.keys()],
    length: columns.length,
    malformed: [objectErrors.malformed, columnErrors.malformed],
    decodeErrors: [decoders.get(1)!.errors.count, slots.get(1)!.errors.count],
  };
}

/** The objects grouped by event in the order the column batch lists its events, each in ring order. */
const byEvent = (events: TraceEvent[], names: string[]) =>
  names.flatMap((name) => events.filter((e) => e.event === name));

test('interleaved events, excluded processes and damaged records: columns hold what objects do', () => {
  const bad = execRaw('/bad', 10);
  bad.writeUInt32LE((400 << 16) | 20, 8); // __data_loc past the record: a decode error, an empty value
  const rawTooBig = encodeSample({ id: 3, pid: 30, tid: 30, time: 9n, cpu: 0, raw: getppidRaw(110) });
  rawTooBig.writeUInt32LE(4000, 40);
  const excludedTooBig = Buffer.from(rawTooBig);
  excludedTooBig.writeUInt32LE(99, 16); // malformed whatever its process
  const records = [
    encodeSample({ id: 3, pid: 10, tid: 10, time: 1n, cpu: 0, raw: getppidRaw(110) }),
    encodeSample({ id: 1, pid: 20, tid: 20, time: 2n, cpu: 1, raw: execRaw('/bin/ünï', 20) }),
    encodeSample({ id: 3, pid: 99, tid: 99, time: 3n, cpu: 0, raw: getppidRaw(110) }), // excluded
    encodeSample({ id: 9, pid: 10, tid: 10, time: 4n, cpu: 0, raw: getppidRaw(110) }), // unknown id
    encodeSample({ id: 2, pid: 30, tid: 30, time: 5n, cpu: 1, raw: execRaw('/usr/bin/env', 30) }),
    encodeSample({ id: 2, pid: 10, tid: 10, time: 6n, cpu: 1, raw: bad }),
    rawTooBig,
    excludedTooBig,
    encodeSample({ id: 1, pid: 99, tid: 98, time: 7n, cpu: 0, raw: execRaw('/excluded', 99) }),
    encodeSample({ id: 3, pid: 20, tid: 20, time: 8n, cpu: 1, raw: getppidRaw(-1) }),
  ];
  const outcome = decodeBoth(Buffer.concat(records), [99]);
  assert.equal(outcome.objects.length, 5);
  assert.deepEqual(outcome.rows, byEvent(outcome.objects, outcome.names));
  assert.deepEqual(outcome.names, ['getppid', 'exec'], 'events in order of their first row');
  assert.equal(outcome.length, 5);
  assert.deepEqual(outcome.malformed, [3, 3], 'the unknown id and the two raw parts too big');
  assert.deepEqual(outcome.decodeErrors, [1, 1]);
});

test('an event whose every record comes from an excluded process has no rows and counts nothing', () => {
  const records = [
    encodeSample({ id: 1, pid: 99, tid: 99, time: 1n, cpu: 0, raw: execRaw('/x', 99) }),
    encodeSample({ id: 3, pid: 10, tid: 10, time: 2n, cpu: 0, raw: getppidRaw(110) }),
  ];
  const outcome = decodeBoth(Buffer.concat(records), [99]);
  assert.deepEqual(outcome.rows, outcome.objects);
  assert.deepEqual(outcome.names, ['getppid']);
  assert.deepEqual(outcome.malformed, [0, 0]);
});

test('records of changing sizes, and a record whose size is zero, end the walk where they should', () => {
  const records = [
    encodeSample({ id: 1, pid: 10, tid: 10, time: 1n, cpu: 0, raw: execRaw('/a', 10) }),
    encodeSample({ id: 1, pid: 10, tid: 10, time: 2n, cpu: 0, raw: execRaw('/a/much/longer/name', 10) }),
    encodeSample({ id: 3, pid: 10, tid: 10, time: 3n, cpu: 0, raw: getppidRaw(110) }),
    encodeSample({ id: 3, pid: 10, tid: 10, time: 4n, cpu: 0, raw: getppidRaw(111) }),
  ];
  const zero = Buffer.from(records[3]!);
  zero.writeUInt16LE(0, 6);
  const whole = decodeBoth(Buffer.concat(records), []);
  assert.equal(whole.objects.length, 4);
  assert.deepEqual(whole.rows, byEvent(whole.objects, whole.names));
  const cut = decodeBoth(Buffer.concat([...records.slice(0, 3), zero, records[3]!]), []);
  assert.equal(cut.objects.length, 3, 'nothing after the record of size zero');
  assert.deepEqual(cut.rows, byEvent(cut.objects, cut.names));
  assert.deepEqual(cut.malformed, [1, 1]);
});

test('a batch of other events after a bigger one: the reused index and arenas hold only the new rows', () => {
  const slots = columnSlots();
  const decode = (records: Buffer[]) => {
    const batch = Buffer.concat(records);
    const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
    return decodeColumns(batch, view, batch.length, slots, batchContext(), { malformed: 0 });
  };
  const many = Array.from({ length: 50 }, (_, i) =>
    encodeSample({ id: 1 + (i % 3), pid: i, tid: i, time: BigInt(i), cpu: 0, raw: execRaw(`/file-${i}`, i) }),
  );
  assert.equal(decode(many).length, 50);
  const few = decode([encodeSample({ id: 3, pid: 7, tid: 7, time: 70n, cpu: 1, raw: getppidRaw(5) })]);
  assert.equal(few.length, 1);
  assert.deepEqual([...few.events.keys()], ['getppid']);
  const getppid = few.events.get('getppid')!;
  assert.deepEqual([...getppid.pid], [7]);
  assert.deepEqual([...getppid.time], [70n]);
  assert.deepEqual([...(getppid.fields.__syscall_nr as Int32Array)], [5]);
});
