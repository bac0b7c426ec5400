/**
 * Arrow record batches from real sessions' columns: read back by apache-arrow as any Arrow reader
 * would (values against the generator), and unpacked by the collector's side to the same rows.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as arrow from 'apache-arrow';

import { openSession } from '../../src/session/session.js';
import type { SessionOptions } from '../../src/session/options.js';
import { decodeRows, encodeRows } from '../../src/ship/arrow-rows.js';
import { packRows, packedBytes } from '../../src/store/packed-batch.js';
import { type EventTable, eventTable, tableNames } from '../../src/store/table-schema.js';
import { callLabel, callValue } from '../helpers/loadgen-calls.js';
import { spawnGated } from '../helpers/processes.js';
import { loadgen } from '../helpers/programs.js';

const ORIGIN = { host: 'test-host', kernel: 'k', startedUs: 1, clockOffsetUs: 2, seq: 3 };

/** Every columnar batch of one event of a session around `args` of the load generator, as table + rows. */
async function capture(args: string[], options: (binary: string) => SessionOptions) {
  const binary = loadgen();
  const gated = spawnGated(binary, args);
  const session = openSession({ ...options(binary), pid: gated.child.pid! });
  const [event] = [...session.formats.keys()];
  const table = eventTable(event!, tableNames([event!])[0]!, session.formats.get(event!)!);
  const encoded: { bytes: Uint8Array; packed: ReturnType<typeof packRows> }[] = [];
  session.onColumns((batch) => {
    const columns = batch.events.get(event!);
    if (columns === undefined || columns.length === 0) return;
    const packed = packRows(table, 0, columns, new SharedArrayBuffer(packedBytes(table, columns)));
    encoded.push({ bytes: encodeRows(arrow, table, packed, ORIGIN), packed });
  });
  session.start();
  gated.open();
  await gated.done;
  session.close();
  return { table, encoded, pid: gated.child.pid! };
}

/** Asserts that the collector's side unpacks `bytes` to exactly the sections of `packed`. */
function assertRoundTrip(table: EventTable, bytes: Uint8Array, packed: ReturnType<typeof packRows>): void {
  const received = decodeRows(arrow, bytes);
  assert.deepEqual(received.origin, ORIGIN);
  assert.deepEqual(received.table, JSON.parse(JSON.stringify(table)));
  assert.equal(received.packed.rows, packed.rows);
  assert.deepEqual(received.packed.comms, packed.comms);
  table.columns.forEach((column, i) => {
    const at = packed.sections[i]!;
    assert.equal(received.packed.sections[i]! < 0, at < 0, column.name);
  });
  // The packing's buffer is exactly packedBytes() long: the unpacked one must be the same bytes, no more, no fewer.
  assert.equal(packed.bytes, packed.buffer.byteLength);
  assert.equal(received.packed.bytes, packed.bytes);
  assert.deepEqual(new Uint8Array(received.packed.buffer), new Uint8Array(packed.buffer));
}

test('a uprobe with a string and an s64, as Arrow: Utf8 and Int64 columns any reader gets call by call', async () => {
  const N = 3000;
  const { table, encoded, pid } = await capture(['call', String(N)], (binary) => ({
    probes: { call: `p ${binary}:pb_target label=+0(%di):string value=%si:s64` },
  }));
  const rows: { time: bigint; label: string; value: bigint; pid: number }[] = [];
  for (const { bytes, packed } of encoded) {
    const read = arrow.tableFromIPC(bytes);
    assert.deepEqual(
      read.schema.fields.map((field) => `${field.name} ${String(field.type)}`),
      [
        'time Uint64',
        'cpu Uint32',
        'pid Uint32',
        'tid Uint32',
        'comm Dictionary<Uint32, Utf8>',
        '__probe_ip Uint64',
        'label Utf8',
        'value Int64',
      ],
    );
    rows.push(...(read.toArray() as typeof rows));
    assertRoundTrip(table, bytes, packed);
  }
  // Batches hold each CPU's rows in ring order: the calls' order is the times'.
  rows.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  assert.equal(rows.length, N);
  rows.forEach((row, i) => {
    assert.equal(row.label, callLabel(i), `call ${i}`);
    assert.equal(row.value, callValue(i), `call ${i}`);
    assert.equal(row.pid, pid);
  });
});

test('a fixed array field (raw_syscalls:sys_enter args) travels as a List<Uint64> and comes back byte for byte', async () => {
  const { table, encoded } = await capture(['getppid', '100'], () => ({ events: ['raw_syscalls:sys_enter'] }));
  const getppid = encoded.flatMap(({ bytes }) =>
    (arrow.tableFromIPC(bytes).toArray() as { id: bigint; args: arrow.Vector }[]).filter((row) => row.id === 110n),
  );
  assert.equal(getppid.length, 100);
  for (const row of getppid) assert.equal(row.args.length, 6);
  assert.equal(
    String(arrow.tableFromIPC(encoded[0]!.bytes).schema.fields.find((f) => f.name === 'args')!.type),
    'List<Uint64>',
  );
  for (const { bytes, packed } of encoded) assertRoundTrip(table, bytes, packed);
});
