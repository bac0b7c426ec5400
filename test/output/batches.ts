/**
 * Hand-built batches for the output tests: sample records made byte by byte with the event formats
 * of Linux 6.18, decoded by the real decoders both into objects and into columns, so edge cases
 * (escapes, invalid UTF-8, extreme 64-bit values, several events and CPUs) can be chosen exactly.
 */
import { type ColumnSlot, decodeColumns } from '../../src/decode/column-records.js';
import { ColumnArena, type ColumnBatch } from '../../src/decode/columns.js';
import { compileColumns } from '../../src/decode/compile-columns.js';
import { compileDecoder } from '../../src/decode/compile.js';
import { type EventFormat, parseFormat } from '../../src/decode/format.js';
import { type TraceEvent, decodeRecords } from '../../src/decode/records.js';
import { batchContext } from '../helpers/batch-context.js';
import { fixture } from '../helpers/fixtures.js';
import { encodeSample, execRaw } from '../helpers/sample-records.js';

/** The events these batches hold: sample id, name, format. */
export const EVENTS: readonly (readonly [number, string, EventFormat])[] = [
  [1, 'sched:sched_process_exec', parseFormat(fixture('formats/linux-6.18', 'sched_sched_process_exec.format'))],
  [2, 'sched:sched_switch', parseFormat(fixture('formats/linux-6.18', 'sched_sched_switch.format'))],
  [3, 'raw_syscalls:sys_enter', parseFormat(fixture('formats/linux-6.18', 'raw_syscalls_sys_enter.format'))],
];

/** The formats by event name, as session.formats has them. */
export const FORMATS: ReadonlyMap<string, EventFormat> = new Map(EVENTS.map(([, name, format]) => [name, format]));

/** A sched_switch record's raw data: `prev` as the bytes of prev_comm (up to 15), and prev_state. */
export function switchRaw(prev: Buffer, state: bigint, next = 'next'): Buffer {
  const raw = Buffer.alloc(64);
  prev.subarray(0, 15).copy(raw, 8);
  raw.writeInt32LE(77, 24);
  raw.writeInt32LE(-3, 28);
  raw.writeBigInt64LE(state, 32);
  raw.write(next, 40, 'latin1');
  raw.writeInt32LE(-2147483648, 56);
  raw.writeInt32LE(2147483647, 60);
  return raw;
}

/** A raw_syscalls:sys_enter record's raw data: syscall `id` and six arguments. */
export function sysEnterRaw(id: bigint, args: readonly bigint[]): Buffer {
  const raw = Buffer.alloc(64);
  raw.writeBigInt64LE(id, 8);
  args.forEach((arg, i) => raw.writeBigUInt64LE(arg, 16 + 8 * i));
  return raw;
}

/** An exec record's raw data with `filename` given as bytes (any bytes but NUL). */
export function execRawBytes(filename: Buffer, pid: number): Buffer {
  const raw = execRaw('', pid);
  const name = Buffer.concat([filename, Buffer.from([0])]);
  const out = Buffer.concat([raw.subarray(0, 20), name]);
  out.writeUInt32LE((name.length << 16) | 20, 8);
  return out;
}

/** One record of the batch: which event (sample id), who, when, and its raw data. */
export interface Row {
  id: number;
  pid: number;
  tid: number;
  cpu: number;
  time: bigint;
  raw: Buffer;
}

/** The rows decoded both ways: objects in ring order and the columnar batch. */
export function decodeBoth(
  rows: readonly Row[],
  names: Readonly<Record<number, string>>,
): {
  objects: TraceEvent[];
  columns: ColumnBatch;
} {
  const batch = Buffer.concat(rows.map((row) => encodeSample(row)));
  const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  const objectSlots = new Map(
    EVENTS.map(([id, name, format]) => [
      id,
      { name, decode: compileDecoder(format), errors: { count: 0 }, delivered: 0, chainDepth: -1 },
    ]),
  );
  const objects: TraceEvent[] = [];
  decodeRecords(batch, view, batch.length, objectSlots, batchContext(names), objects, { malformed: 0 });
  const columnSlots = new Map<number, ColumnSlot>(
    EVENTS.map(([id, name, format]) => [
      id,
      { name, columns: compileColumns(format), errors: { count: 0 }, arena: new ColumnArena() },
    ]),
  );
  const columns = decodeColumns(batch, view, batch.length, columnSlots, batchContext(names), { malformed: 0 });
  if (objects.length !== rows.length || columns.length !== rows.length) throw new Error('a record did not decode');
  return { objects, columns };
}

/** Strings with every kind of byte the serializers must escape or repair. */
export const AWKWARD_STRINGS: readonly Buffer[] = [
  Buffer.from('plain/ascii'),
  Buffer.from('quote " and backslash \\ and comma , here'),
  Buffer.from('tab\tnewline\ncr\rbell\x07esc\x1bdel\x7f'),
  Buffer.from('ünïcödé ✓ 𝄞'),
  Buffer.from([0x61, 0xff, 0x62, 0xc3, 0x28, 0x22, 0xe2, 0x82, 0x5c]), // invalid UTF-8 around " and \
  Buffer.from([0xed, 0xa0, 0x80, 0x0a, 0xf0, 0x9f]), // an encoded surrogate, a truncated sequence
  Buffer.alloc(0),
];

/** A mixed batch: three events, two CPUs (each CPU's rows in time order), every awkward string. */
export function mixedRows(): Row[] {
  const rows: Row[] = [];
  let time = 1_000_000_000_000n;
  AWKWARD_STRINGS.forEach((s, i) => {
    const cpu = i % 2;
    rows.push({ id: 1, pid: 100 + i, tid: 100 + i, cpu, time: (time += 1000n), raw: execRawBytes(s, 100 + i) });
    rows.push({ id: 2, pid: 200, tid: 201, cpu, time: (time += 7n), raw: switchRaw(s, BigInt(-i) << 40n) });
  });
  const extremes = [0n, 39n, -1n, 450n, 100000n, 2n ** 63n - 1n, -(2n ** 63n)];
  extremes.forEach((id, i) => {
    const args = [0n, 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 64n - 1n, BigInt(i)];
    rows.push({ id: 3, pid: 300, tid: 300 + i, cpu: 1, time: (time += 3n), raw: sysEnterRaw(id, args) });
  });
  rows.push({ id: 3, pid: 4294967295, tid: 4294967295, cpu: 4095, time: 2n ** 64n - 1n, raw: sysEnterRaw(1n, []) });
  return rows;
}

/** Thread names for mixedRows: awkward ones too. */
export const NAMES: Readonly<Record<number, string>> = {
  100: 'sh',
  101: 'quo"te,comma',
  102: 'back\\slash',
  103: 'ctl\n\t\x01',
  104: 'ünï',
  // Fifteen control characters: escaped, a name of many words.
  105: '\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11\x12',
  200: 'x'.repeat(15),
  201: 'we\uFFFDird',
  300: 'loadgen',
};
