import assert from 'node:assert/strict';
import { test } from 'node:test';

import { compileDecoder } from '../../src/decode/compile.js';
import { parseFormat } from '../../src/decode/format.js';
import { decodeRecords, recordSize, type EventSlot, type TraceEvent } from '../../src/decode/records.js';
import { fixture } from '../helpers/fixtures.js';
import { batchContext } from '../helpers/batch-context.js';
import { encodeSample, getppidRaw } from '../helpers/sample-records.js';

function slot(name: string, formatFile: string): EventSlot {
  return {
    name,
    decode: compileDecoder(parseFormat(fixture('formats/linux-6.18', formatFile))),
    errors: { count: 0 },
    delivered: 0,
    chainDepth: -1,
  };
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

test('recordSize takes a record that fits, and refuses one that overruns the batch or is too small for a sample', () => {
  const first = encodeSample({ id: 7, pid: 1, tid: 1, time: 1n, cpu: 0, raw: getppidRaw(110) });
  const tooSmall = Buffer.from(first);
  tooSmall.writeUInt16LE(40, 6);
  const overrun = Buffer.from(first);
  overrun.writeUInt16LE(60000, 6);
  const batch = Buffer.concat([first, first, tooSmall, overrun]);
  const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  const size = first.length;
  assert.equal(recordSize(view, 0, batch.length, 0), size, 'the first record, nothing expected');
  assert.equal(recordSize(view, size, batch.length, size), size, 'the next one, of the size expected');
  assert.equal(recordSize(view, 2 * size, batch.length, size), -1, 'a size below a sample header');
  assert.equal(recordSize(view, 3 * size, batch.length, size), -1, 'a size past the end of the batch');
  assert.equal(recordSize(view, size, 2 * size - 8, size), -1, 'an expected size that does not fit either');
  assert.equal(recordSize(view, batch.length - 8, batch.length, 0), -1, 'less than a header left');
});
