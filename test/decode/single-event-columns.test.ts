/**
 * The one-pass column walk of a session of one event (decodeSingleEvent in
 * src/decode/column-records.ts): the same columns as the general walk, cut to their exact sizes,
 * and the general walk, with nothing counted twice, whenever the batch holds anything else.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { type ColumnSlot, decodeColumns, decodeSingleEvent, onlySlot } from '../../src/decode/column-records.js';
import { BytesColumn, ColumnArena, type EventColumns, StringColumn } from '../../src/decode/columns.js';
import { compileColumns } from '../../src/decode/compile-columns.js';
import { parseFormat } from '../../src/decode/format.js';
import { batchContext } from '../helpers/batch-context.js';
import { fixture } from '../helpers/fixtures.js';
import { encodeSample, execRaw, getppidRaw } from '../helpers/sample-records.js';

const EXEC = parseFormat(fixture('formats/linux-6.18', 'sched_sched_process_exec.format'));
const SYS_ENTER = parseFormat(fixture('formats/linux-6.18', 'raw_syscalls_sys_enter.format'));
const GETPPID = parseFormat(fixture('formats/linux-6.18', 'syscalls_sys_enter_getppid.format'));

function slotOf(name: string, format = EXEC): ColumnSlot {
  return { name, columns: compileColumns(format), errors: { count: 0 }, arena: new ColumnArena() };
}

/** A session of one event on two rings: sample ids 1 and 2. */
function oneEvent(format = EXEC): Map<number, ColumnSlot> {
  const slot = slotOf('exec', format);
  return new Map([
    [1, slot],
    [2, slot],
  ]);
}

/** The same event among others: a second slot (id 3) makes decodeColumns take the general walk. */
function amongOthers(format = EXEC): Map<number, ColumnSlot> {
  const slots = oneEvent(format);
  slots.set(3, slotOf('getppid', GETPPID));
  return slots;
}

function viewOf(batch: Buffer): DataView {
  return new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
}

function single(batch: Buffer, slots: Map<number, ColumnSlot>, excludedPids: number[] = []) {
  const context = batchContext({ 10: 'ten', 11: 'eleven' }, excludedPids);
  return decodeSingleEvent(batch, viewOf(batch), batch.length, slots, onlySlot(slots)!, context, true);
}

function general(batch: Buffer, slots: Map<number, ColumnSlot>, excludedPids: number[] = []) {
  const context = batchContext({ 10: 'ten', 11: 'eleven' }, excludedPids);
  return decodeColumns(batch, viewOf(batch), batch.length, slots, context, { malformed: 0 });
}

/**
 * Every row of `columns`, values only: bytes a packed column's data holds past its rows are left
 * from earlier batches (the arena is reused), and not part of what a batch says.
 */
function rowsOf(columns: EventColumns | undefined): unknown[] {
  if (columns === undefined) return [];
  return Array.from({ length: columns.length }, (_, row) => ({
    cpu: columns.cpu[row],
    pid: columns.pid[row],
    tid: columns.tid[row],
    comm: columns.comm[row],
    time: columns.time[row],
    fields: Object.entries(columns.fields).map(([name, column]) => [
      name,
      column instanceof StringColumn || column instanceof BytesColumn ? column.get(row) : column[row],
    ]),
  }));
}

function execRecords(count: number): Buffer[] {
  return Array.from({ length: count }, (_, i) =>
    encodeSample({
      id: 1 + (i % 2),
      pid: 10 + (i % 2),
      tid: 10 + (i % 2),
      time: 2n ** 63n + BigInt(i),
      cpu: i % 2,
      raw: execRaw(i % 3 === 0 ? `/usr/bin/ünï-${i}` : `/bin/sh${'x'.repeat(i)}`, 100 + i),
    }),
  );
}

test('onlySlot: the one slot all ids share, or none', () => {
  const slots = oneEvent();
  assert.equal(onlySlot(slots), slots.get(1));
  assert.equal(onlySlot(amongOthers()), undefined);
  assert.equal(onlySlot(new Map()), undefined);
});

test('one pass gives the columns the general walk gives, at their exact sizes', () => {
  const batch = Buffer.concat(execRecords(40));
  const fast = single(batch, oneEvent());
  assert.ok(fast !== undefined, 'a batch of the event alone takes one pass');
  const slow = general(batch, amongOthers());
  assert.equal(fast.length, 40);
  const fastExec = fast.events.get('exec')!;
  const slowExec = slow.events.get('exec')!;
  // deepEqual compares typed arrays (type, length, elements) and the columns' own fields: offsets
  // of rows + 1 entries, data of the rows' raw bytes, length.
  assert.deepEqual(fastExec, slowExec);
  assert.equal(fastExec.pid.length, 40);
  assert.equal(fastExec.comm.length, 40);
  const filename = fastExec.fields.filename as StringColumn;
  assert.ok(filename instanceof StringColumn);
  assert.equal(filename.offsets.length, 41);
  assert.equal(filename.get(38), '/bin/sh' + 'x'.repeat(38));
  assert.equal(filename.get(3), '/usr/bin/ünï-3');
  assert.deepEqual(fastExec.comm.slice(0, 3), ['ten', 'eleven', 'ten']);
  assert.deepEqual(Object.keys(fastExec.fields), Object.keys(slowExec.fields));
});

test('byte columns are cut to their rows too', () => {
  const raw = Buffer.alloc(64);
  raw.writeBigInt64LE(39n, 8);
  for (let i = 0; i < 6; i++) raw.writeBigUInt64LE(BigInt(i + 1), 16 + 8 * i);
  const batch = Buffer.concat(
    [0, 1, 2].map((i) => encodeSample({ id: 1, pid: 10, tid: 10, time: BigInt(i), cpu: 0, raw })),
  );
  const fast = single(batch, oneEvent(SYS_ENTER));
  assert.ok(fast !== undefined);
  const enter = fast.events.get('exec')!;
  assert.deepEqual(enter, general(batch, amongOthers(SYS_ENTER)).events.get('exec'));
  const args = enter.fields.args as BytesColumn;
  assert.ok(args instanceof BytesColumn);
  assert.equal(args.length, 3);
  assert.equal(args.offsets.length, 4);
  assert.deepEqual([...new BigUint64Array(new Uint8Array(args.get(2)).buffer)], [1n, 2n, 3n, 4n, 5n, 6n]);
  assert.deepEqual([...(enter.fields.id as BigInt64Array)], [39n, 39n, 39n]);
});

test('records of excluded processes are left out; a batch of them alone has no event', () => {
  const records = execRecords(6);
  const fast = single(Buffer.concat(records), oneEvent(), [11]);
  assert.ok(fast !== undefined);
  assert.equal(fast.length, 3);
  assert.deepEqual([...fast.events.get('exec')!.pid], [10, 10, 10]);
  const none = single(Buffer.concat([records[1]!, records[3]!]), oneEvent(), [11]);
  assert.deepEqual(none, { length: 0, events: new Map() });
});

test('anything but sound records of the event: no result, nothing counted, and decodeColumns agrees with the general walk', () => {
  const good = execRecords(3);
  const unknown = encodeSample({ id: 9, pid: 10, tid: 10, time: 5n, cpu: 0, raw: execRaw('/x', 1) });
  const other = encodeSample({ id: 3, pid: 10, tid: 10, time: 5n, cpu: 0, raw: getppidRaw(110) });
  const rawTooBig = Buffer.from(good[0]!);
  rawTooBig.writeUInt32LE(4000, 40);
  const overrun = Buffer.from(good[1]!);
  overrun.writeUInt16LE(4000, 6);
  const badLoc = execRaw('/bad', 5);
  badLoc.writeUInt32LE((400 << 16) | 20, 8); // a __data_loc past the record: one decode error
  const decodeError = encodeSample({ id: 1, pid: 10, tid: 10, time: 6n, cpu: 0, raw: badLoc });
  const cases: [string, Buffer[], number][] = [
    ['an unknown id', [...good, unknown], 1],
    ["another event's record", [other, ...good], 1],
    ['a raw part larger than its record', [good[0]!, rawTooBig, good[2]!], 1],
    ['a size that overruns the batch', [...good, overrun], 1],
  ];
  for (const [what, records, malformed] of cases) {
    for (const withError of [false, true]) {
      const batch = Buffer.concat(withError ? [decodeError, ...records] : records);
      const slots = oneEvent();
      assert.equal(single(batch, slots), undefined, `${what}: no one-pass result`);
      assert.equal(slots.get(1)!.errors.count, 0, `${what}: nothing counted by the pass given up`);
      const errors = { malformed: 0 };
      const context = batchContext({ 10: 'ten', 11: 'eleven' });
      const decoded = decodeColumns(batch, viewOf(batch), batch.length, slots, context, errors);
      const expected = general(batch, amongOthers());
      const exec = decoded.events.get('exec');
      assert.deepEqual(rowsOf(exec), rowsOf(expected.events.get('exec')), `${what}: the general walk's rows`);
      assert.equal(exec?.cpu.length, expected.events.get('exec')?.length);
      assert.equal(errors.malformed, malformed, `${what}: malformed, once`);
      assert.equal(slots.get(1)!.errors.count, withError ? 1 : 0, `${what}: decode errors counted once`);
    }
  }
});

test('decode errors of a batch taken in one pass are counted once, and not at all when told not to', () => {
  const badLoc = execRaw('/bad', 5);
  badLoc.writeUInt32LE((400 << 16) | 20, 8);
  const batch = Buffer.concat([
    ...execRecords(2),
    encodeSample({ id: 2, pid: 10, tid: 10, time: 6n, cpu: 0, raw: badLoc }),
  ]);
  const slots = oneEvent();
  const decoded = decodeColumns(batch, viewOf(batch), batch.length, slots, batchContext(), { malformed: 0 });
  assert.equal(decoded.length, 3);
  assert.equal((decoded.events.get('exec')!.fields.filename as StringColumn).get(2), '');
  assert.equal(slots.get(1)!.errors.count, 1);
  decodeColumns(batch, viewOf(batch), batch.length, slots, batchContext(), undefined);
  assert.equal(slots.get(1)!.errors.count, 1, 'a batch the object decoder already counted');
});

test('one-pass columns reused from batch to batch: each batch equals a fresh decode, its names are its own', () => {
  const slots = oneEvent();
  const big = Buffer.concat(execRecords(40));
  const small = Buffer.concat(execRecords(3));
  const first = single(big, slots);
  assert.ok(first !== undefined);
  const firstComm = first.events.get('exec')!.comm;
  const keptComm = [...firstComm];
  // Small after big reuses the layout; the general walk in between lays other columns in the same arena.
  const second = single(small, slots);
  general(big, slots.set(3, slotOf('getppid', GETPPID)));
  slots.delete(3);
  const third = single(small, slots);
  for (const batch of [second, third]) {
    assert.ok(batch !== undefined);
    const fresh = single(small, oneEvent())!.events.get('exec');
    assert.deepEqual(rowsOf(batch.events.get('exec')), rowsOf(fresh));
    assert.equal(batch.events.get('exec')!.pid.length, 3);
    assert.equal((batch.events.get('exec')!.fields.filename as StringColumn).offsets.length, 4);
  }
  assert.deepEqual(firstComm, keptComm, 'the names handed out are not overwritten by later batches');
});

test('a field named __proto__ is an own column, in one pass and in the general walk', () => {
  const format = { ...GETPPID, fields: GETPPID.fields.map((field) => ({ ...field, name: '__proto__' })) };
  const batch = Buffer.concat(
    [0, 1].map((i) => encodeSample({ id: 1, pid: 10, tid: 10, time: BigInt(i), cpu: 0, raw: getppidRaw(110) })),
  );
  for (const slots of [oneEvent(format), amongOthers(format)]) {
    const fields = general(batch, slots).events.get('exec')!.fields;
    assert.equal(Object.getPrototypeOf(fields), Object.prototype);
    assert.ok(Object.hasOwn(fields, '__proto__'));
  }
});
