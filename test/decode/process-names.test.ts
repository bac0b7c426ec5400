/**
 * Process names over time: each sample is named as its thread was at the sample's time, whatever
 * order the side-band records (from several rings) arrive in. Record layouts as the kernel writes
 * them with sample_id_all (see src/decode/side-band.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { compileDecoder } from '../../src/decode/compile.js';
import { parseFormat } from '../../src/decode/format.js';
import { ProcessNames } from '../../src/decode/process-names.js';
import { type EventSlot, type TraceEvent, decodeRecords } from '../../src/decode/records.js';
import { readSideBand } from '../../src/decode/side-band.js';
import { fixture } from '../helpers/fixtures.js';
import { encodeComm, encodeSample, encodeTask, getppidRaw } from '../helpers/sample-records.js';

function getppidSlot(): EventSlot {
  const format = parseFormat(fixture('formats/linux-6.18', 'syscalls_sys_enter_getppid.format'));
  return { name: 'getppid', decode: compileDecoder(format), errors: { count: 0 }, delivered: 0, chainDepth: -1 };
}

function sample(tid: number, time: bigint, pid = tid): Buffer {
  return encodeSample({ id: 1, pid, tid, time, cpu: 0, raw: getppidRaw(110) });
}

/**
 * Applies the side-band records among `records`, then decodes the samples, as the pump does with
 * the two buffers one drain fills (PERF_RECORD_SAMPLE is type 9).
 */
function decodeMixed(names: ProcessNames, records: Buffer[], excludedPids: number[] = []): TraceEvent[] {
  const isSample = (record: Buffer) => record.readUInt32LE(0) === 9;
  const sideBand = Buffer.concat(records.filter((record) => !isSample(record)));
  readSideBand(
    sideBand,
    new DataView(sideBand.buffer, sideBand.byteOffset, sideBand.byteLength),
    sideBand.length,
    names,
  );
  const batch = Buffer.concat(records.filter(isSample));
  const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  const out: TraceEvent[] = [];
  const errors = { malformed: 0 };
  decodeRecords(
    batch,
    view,
    batch.length,
    new Map([[1, getppidSlot()]]),
    { names, excludedPids, stacks: undefined },
    out,
    errors,
  );
  assert.equal(errors.malformed, 0);
  return out;
}

test('a rename in the batch names the samples after it, not those before it', () => {
  const names = new ProcessNames();
  names.seed(new Map([[500, { comm: 'before' }]]));
  const events = decodeMixed(names, [sample(500, 10n), encodeComm(500, 500, 'after', 20n), sample(500, 30n)]);
  assert.deepEqual(
    events.map((e) => e.comm),
    ['before', 'after'],
  );
});

test('a rename read before an older sample from another ring does not rename that sample', () => {
  const names = new ProcessNames();
  names.seed(new Map([[600, { comm: 'old' }]]));
  // Ring 0 held the exec (time 50), ring 1 a sample from before it (time 40), read after.
  const events = decodeMixed(names, [encodeComm(600, 600, 'new', 50n, true), sample(600, 40n), sample(600, 60n)]);
  assert.deepEqual(
    events.map((e) => e.comm),
    ['old', 'new'],
  );
});

test('a forked thread takes its parent name; an exited one keeps its name for late samples', () => {
  const names = new ProcessNames();
  names.seed(new Map([[700, { comm: 'parent' }]]));
  const events = decodeMixed(names, [
    encodeTask('fork', { pid: 700, tid: 701, ppid: 700, ptid: 700 }, 5n),
    encodeComm(700, 701, 'worker', 6n),
    encodeTask('exit', { pid: 700, tid: 701, ppid: 700, ptid: 700 }, 9n),
    sample(701, 7n, 700),
    sample(701, 5n, 700),
  ]);
  assert.deepEqual(
    events.map((e) => e.comm),
    ['worker', 'parent'],
  );
});

test('records that arrive out of order are kept in time order', () => {
  const names = new ProcessNames();
  names.seed(new Map([[800, { comm: 'a' }]]));
  names.renamed(800, 'c', 30);
  names.renamed(800, 'b', 20);
  assert.deepEqual(
    [5, 20, 25, 30, 35].map((time) => names.nameOf(800, time)),
    ['a', 'b', 'b', 'c', 'c'],
  );
});

test('pruning forgets exited threads and replaced names only once no sample can need them', () => {
  const names = new ProcessNames();
  // Above PID_MAX_LIMIT: no /proc entry can ever answer for this tid once it is forgotten.
  const tid = 4_194_400;
  names.seed(new Map([[tid, { comm: 'gone' }]]));
  names.exited(tid, 1e9);
  names.renamed(901, 'first', 1e9);
  names.renamed(901, 'second', 2e9);
  names.prune();
  assert.equal(names.nameOf(tid, 1e9), 'gone', 'kept: no record is 10 s newer yet');
  assert.equal(names.nameOf(901, 1.5e9), 'first');
  names.renamed(902, 'later', 20e9); // the newest record is now 20 s
  names.prune();
  assert.equal(names.nameOf(901, 1.5e9), 'second', 'the replaced name was forgotten');
  assert.equal(names.nameOf(tid, 1e9), `:${tid}`, 'the exited thread was forgotten');
});

test('samples of excluded processes are left out', () => {
  const names = new ProcessNames();
  const events = decodeMixed(names, [sample(1000, 1n, 77), sample(1001, 2n, 78)], [77]);
  assert.deepEqual(
    events.map((e) => e.pid),
    [78],
  );
});
