import assert from 'node:assert/strict';
import { test } from 'node:test';

import { decodeColumns, type ColumnSlot } from '../../src/decode/column-records.js';
import { batchContext } from '../helpers/batch-context.js';
import { BytesColumn, ColumnArena, StringColumn } from '../../src/decode/columns.js';
import { compileColumns } from '../../src/decode/compile-columns.js';
import { compileDecoder } from '../../src/decode/compile.js';
import { parseFormat } from '../../src/decode/format.js';
import { decodeRecords, type TraceEvent } from '../../src/decode/records.js';
import { fixture } from '../helpers/fixtures.js';
import { encodeSample, execRaw } from '../helpers/sample-records.js';

const EXEC_FORMAT = fixture('formats/linux-6.18', 'sched_sched_process_exec.format');
const SWITCH_FORMAT = fixture('formats/linux-6.18', 'sched_sched_switch.format');
const SYS_ENTER_FORMAT = fixture('formats/linux-6.18', 'raw_syscalls_sys_enter.format');

function switchRaw(prev: string, state: bigint): Buffer {
  const raw = Buffer.alloc(64);
  raw.write(prev, 8, 'latin1');
  raw.writeInt32LE(77, 24);
  raw.writeInt32LE(-3, 28);
  raw.writeBigInt64LE(state, 32);
  raw.write('next', 40, 'latin1');
  return raw;
}

function sysEnterRaw(id: bigint): Buffer {
  const raw = Buffer.alloc(64);
  raw.writeBigInt64LE(id, 8);
  for (let i = 0; i < 6; i++) raw.writeBigUInt64LE(BigInt(i) << 60n, 16 + 8 * i);
  return raw;
}

function slotsFor(formats: [number, string, string][]): Map<number, ColumnSlot> {
  return new Map(
    formats.map(([id, name, format]) => [
      id,
      { name, columns: compileColumns(parseFormat(format)), errors: { count: 0 }, arena: new ColumnArena() },
    ]),
  );
}

test('columns hold the same values as object decoding, per event, with no per-event objects', () => {
  const records = [
    encodeSample({ id: 1, pid: 10, tid: 11, time: 2n ** 62n + 5n, cpu: 1, raw: execRaw('/bin/ünï', 10) }),
    encodeSample({ id: 2, pid: 20, tid: 21, time: 6n, cpu: 0, raw: switchRaw('bash', -2n) }),
    encodeSample({ id: 1, pid: 12, tid: 12, time: 7n, cpu: 0, raw: execRaw('/usr/bin/env', 12) }),
    encodeSample({ id: 3, pid: 30, tid: 30, time: 8n, cpu: 1, raw: sysEnterRaw(-1n) }),
  ];
  const batch = Buffer.concat(records);
  const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  const formats: [number, string, string][] = [
    [1, 'exec', EXEC_FORMAT],
    [2, 'switch', SWITCH_FORMAT],
    [3, 'enter', SYS_ENTER_FORMAT],
  ];
  const errors = { malformed: 0 };
  const columns = decodeColumns(batch, view, batch.length, slotsFor(formats), batchContext(), errors);
  assert.equal(columns.length, 4);
  assert.equal(errors.malformed, 0);

  const exec = columns.events.get('exec')!;
  assert.equal(exec.length, 2);
  assert.deepEqual([...exec.pid], [10, 12]);
  assert.deepEqual([...exec.tid], [11, 12]);
  assert.deepEqual([...exec.cpu], [1, 0]);
  assert.deepEqual([...exec.time], [2n ** 62n + 5n, 7n]);
  const filename = exec.fields.filename as StringColumn;
  assert.ok(filename instanceof StringColumn);
  assert.deepEqual([filename.get(0), filename.get(1)], ['/bin/ünï', '/usr/bin/env']);
  assert.deepEqual([...(exec.fields.old_pid as Int32Array)], [9, 11]);

  const sw = columns.events.get('switch')!;
  assert.equal((sw.fields.prev_comm as StringColumn).get(0), 'bash');
  assert.deepEqual([...(sw.fields.prev_state as BigInt64Array)], [-2n]);
  assert.deepEqual([...(sw.fields.prev_prio as Int32Array)], [-3]);

  const enter = columns.events.get('enter')!;
  assert.deepEqual([...(enter.fields.id as BigInt64Array)], [-1n]);
  const args = enter.fields.args as BytesColumn;
  assert.ok(args instanceof BytesColumn);
  assert.deepEqual(
    new BigUint64Array(new Uint8Array(args.get(0)).buffer),
    new BigUint64Array([0n, 1n << 60n, 2n << 60n, 3n << 60n, 4n << 60n, 5n << 60n]),
  );

  // The object decoder agrees on every shared value.
  const objects: TraceEvent[] = [];
  const objectSlots = new Map(
    formats.map(([id, name, format]) => [
      id,
      { name, decode: compileDecoder(parseFormat(format)), errors: { count: 0 }, delivered: 0, chainDepth: -1 },
    ]),
  );
  decodeRecords(batch, view, batch.length, objectSlots, batchContext(), objects, { malformed: 0 });
  assert.deepEqual(
    objects.filter((e) => e.event === 'exec').map((e) => e.fields.filename),
    ['/bin/ünï', '/usr/bin/env'],
  );
});

test('bad __data_loc and truncated records give empty values and count errors', () => {
  const bad = execRaw('/bin/true', 5);
  bad.writeUInt32LE((500 << 16) | 20, 8);
  const records = [
    encodeSample({ id: 1, pid: 1, tid: 1, time: 1n, cpu: 0, raw: bad }),
    encodeSample({ id: 1, pid: 2, tid: 2, time: 2n, cpu: 0, raw: execRaw('/ok', 2).subarray(0, 14) }),
    encodeSample({ id: 1, pid: 3, tid: 3, time: 3n, cpu: 0, raw: execRaw('/fine', 3) }),
  ];
  const batch = Buffer.concat(records);
  const slots = slotsFor([[1, 'exec', EXEC_FORMAT]]);
  const columns = decodeColumns(
    batch,
    new DataView(batch.buffer, batch.byteOffset, batch.byteLength),
    batch.length,
    slots,
    batchContext(),
    { malformed: 0 },
  );
  const exec = columns.events.get('exec')!;
  const filename = exec.fields.filename as StringColumn;
  assert.deepEqual([filename.get(0), filename.get(1), filename.get(2)], ['', '', '/fine']);
  assert.deepEqual([...(exec.fields.pid as Int32Array)], [5, 0, 3]);
  // One per bad record: the bad __data_loc, and the truncated one (whose __data_loc then also
  // points past its end, still one error).
  assert.equal(slots.get(1)!.errors.count, 2);
});

test('unknown ids and overrunning records are counted as malformed', () => {
  const good = encodeSample({ id: 1, pid: 1, tid: 1, time: 1n, cpu: 0, raw: execRaw('/a', 1) });
  const unknown = encodeSample({ id: 9, pid: 1, tid: 1, time: 1n, cpu: 0, raw: execRaw('/b', 1) });
  const overrun = encodeSample({ id: 1, pid: 1, tid: 1, time: 1n, cpu: 0, raw: execRaw('/c', 1) });
  overrun.writeUInt16LE(4000, 6);
  const batch = Buffer.concat([good, unknown, good, overrun]);
  const errors = { malformed: 0 };
  const columns = decodeColumns(
    batch,
    new DataView(batch.buffer, batch.byteOffset, batch.byteLength),
    batch.length,
    slotsFor([[1, 'exec', EXEC_FORMAT]]),
    batchContext(),
    errors,
  );
  assert.equal(columns.events.get('exec')!.length, 2);
  assert.equal(errors.malformed, 2);
});
