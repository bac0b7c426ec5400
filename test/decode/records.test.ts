import assert from 'node:assert/strict';
import { test } from 'node:test';

import { compileDecoder } from '../../src/decode/compile.js';
import { parseFormat } from '../../src/decode/format.js';
import { SampleWalk, decodeRecords, type EventSlot, type TraceEvent } from '../../src/decode/records.js';
import { fixture } from '../helpers/fixtures.js';
import { batchContext } from '../helpers/batch-context.js';
import { encodeSample } from '../helpers/sample-records.js';

function slot(name: string, formatFile: string): EventSlot {
  return {
    name,
    decode: compileDecoder(parseFormat(fixture('formats/linux-6.18', formatFile))),
    errors: { count: 0 },
    delivered: 0,
  };
}

function getppidRaw(nr: number): Uint8Array {
  const raw = Buffer.alloc(12);
  raw.writeInt32LE(nr, 8);
  return raw;
}

test('records are attributed by sample id and carry pid, tid, cpu and time', () => {
  const getppid = slot('syscalls:sys_enter_getppid', 'syscalls_sys_enter_getppid.format');
  const slots = new Map([
    [17, getppid],
    [18, getppid],
  ]);
  const batch = Buffer.concat([
    encodeSample({ id: 17, pid: 100, tid: 101, time: 5n, cpu: 0, raw: getppidRaw(110) }),
    encodeSample({ id: 18, pid: 200, tid: 200, time: 2n ** 63n + 1n, cpu: 1, raw: getppidRaw(110) }),
  ]);
  const out: TraceEvent[] = [];
  const errors = { malformed: 0 };
  decodeRecords(
    batch,
    new DataView(batch.buffer, batch.byteOffset, batch.byteLength),
    batch.length,
    slots,
    batchContext({ 101: 'first', 200: 'second' }),
    out,
    errors,
  );
  assert.deepEqual(out, [
    {
      event: 'syscalls:sys_enter_getppid',
      cpu: 0,
      pid: 100,
      tid: 101,
      comm: 'first',
      time: 5n,
      fields: { __syscall_nr: 110 },
    },
    {
      event: 'syscalls:sys_enter_getppid',
      cpu: 1,
      pid: 200,
      tid: 200,
      comm: 'second',
      time: 2n ** 63n + 1n,
      fields: { __syscall_nr: 110 },
    },
  ]);
  assert.equal(getppid.delivered, 2);
  assert.equal(errors.malformed, 0);
});

test('unknown ids and lying sizes are counted and skipped, never read past the batch', () => {
  const getppid = slot('syscalls:sys_enter_getppid', 'syscalls_sys_enter_getppid.format');
  const good = encodeSample({ id: 1, pid: 1, tid: 1, time: 1n, cpu: 0, raw: getppidRaw(110) });
  const unknown = encodeSample({ id: 99, pid: 1, tid: 1, time: 1n, cpu: 0, raw: getppidRaw(110) });
  const rawTooBig = encodeSample({ id: 1, pid: 1, tid: 1, time: 1n, cpu: 0, raw: getppidRaw(110) });
  rawTooBig.writeUInt32LE(4000, 40);
  const sizeTooBig = encodeSample({ id: 1, pid: 1, tid: 1, time: 1n, cpu: 0, raw: getppidRaw(110) });
  sizeTooBig.writeUInt16LE(60000, 6);
  const batch = Buffer.concat([good, unknown, rawTooBig, good, sizeTooBig, good]);
  const out: TraceEvent[] = [];
  const errors = { malformed: 0 };
  decodeRecords(
    batch,
    new DataView(batch.buffer, batch.byteOffset, batch.byteLength),
    batch.length,
    new Map([[1, getppid]]),
    batchContext({ 1: 'init' }),
    out,
    errors,
  );
  assert.equal(out.length, 2); // the walk stops at the record whose size overruns the batch
  assert.equal(errors.malformed, 3);
});

test('the sample walk visits each record once, flags an oversized raw part, stops at an overrun', () => {
  const first = encodeSample({ id: 7, pid: 1, tid: 1, time: 1n, cpu: 0, raw: getppidRaw(110) });
  const rawTooBig = encodeSample({ id: 8, pid: 1, tid: 1, time: 1n, cpu: 0, raw: getppidRaw(110) });
  rawTooBig.writeUInt32LE(4000, 40);
  const sizeTooBig = encodeSample({ id: 9, pid: 1, tid: 1, time: 1n, cpu: 0, raw: getppidRaw(110) });
  sizeTooBig.writeUInt16LE(60000, 6);
  const batch = Buffer.concat([first, rawTooBig, sizeTooBig, first]);
  const walk = new SampleWalk(new DataView(batch.buffer, batch.byteOffset, batch.byteLength), batch.length);
  const seen: { id: number; pos: number; rawStart: number; rawSize: number; rawFits: boolean }[] = [];
  while (walk.next()) {
    seen.push({ id: walk.id, pos: walk.pos, rawStart: walk.rawStart, rawSize: walk.rawSize, rawFits: walk.rawFits() });
  }
  assert.deepEqual(seen, [
    { id: 7, pos: 0, rawStart: 44, rawSize: 12, rawFits: true },
    { id: 8, pos: first.length, rawStart: first.length + 44, rawSize: 4000, rawFits: false },
  ]);
  assert.ok(walk.endedEarly(), 'the record whose size overruns the batch ends the walk');

  const whole = Buffer.concat([first, first]);
  const complete = new SampleWalk(new DataView(whole.buffer, whole.byteOffset, whole.byteLength), whole.length);
  let records = 0;
  while (complete.next()) records++;
  assert.equal(records, 2);
  assert.equal(complete.endedEarly(), false);
});
