/**
 * Properties of the native ring reader (native/ring.cc, through the test addon's drainSyntheticRing): a ring holding
 * any sequence of well-formed records, at any position — across the end of the data area and
 * across the 2^64 wrap of the head and tail counters — drains to exactly its sample records in
 * order and exactly its loss counts, however small the output buffer; and a ring of garbage never
 * makes the reader copy anything but whole sample records or stop with data it could still read.
 * Buffers are exactly as large as stated, so `npm run test:sanitize` sees any access past them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import { native } from '../../../src/native.js';
import { bufferFilledSlot, drainCountsLength, ringCountSlot } from '../../../src/native-protocol.js';
import { encodeLost, encodeLostSamples, encodeSample } from '../../helpers/sample-records.js';
import { testAddon } from '../../native/test-addon.js';
import { propertyRuns } from '../settings.js';

const { pageSize, dataHeadOffset, dataTailOffset } = native().ringLayout;
const U64 = 1n << 64n;
const HEADER_BYTES = 8;
const SAMPLE_TYPE = 9;

/** A ring in JS memory as the kernel maps it: `bytes` written from position `tail`, wrapping. */
function ringHolding(dataSize: number, tail: bigint, bytes: Uint8Array, head: bigint): ArrayBuffer {
  const memory = new ArrayBuffer(pageSize + dataSize);
  const data = new Uint8Array(memory, pageSize);
  const start = Number(tail % BigInt(dataSize));
  bytes.forEach((byte, i) => (data[(start + i) % dataSize] = byte));
  const meta = new DataView(memory, 0, pageSize);
  meta.setBigUint64(dataTailOffset, tail % U64, true);
  meta.setBigUint64(dataHeadOffset, head % U64, true);
  return memory;
}

/** One drain pass into an output buffer of exactly `outBytes`. */
function drain(memory: ArrayBuffer, dataSize: number, outBytes: number) {
  const out = new ArrayBuffer(outBytes);
  const counts = new Float64Array(drainCountsLength(1));
  const written = testAddon().drainSyntheticRing(memory, dataSize, out, counts);
  return {
    bytes: Buffer.from(out, 0, written),
    lostRecords: counts[ringCountSlot(0, 'lostRecords')]!,
    lostSamples: counts[ringCountSlot(0, 'lostSamples')]!,
    corruptResets: counts[ringCountSlot(0, 'corruptResets')]!,
    outputFull: counts[bufferFilledSlot(1)] === 1,
    tail: new DataView(memory).getBigUint64(dataTailOffset, true),
  };
}

interface StreamRecord {
  kind: 'sample' | 'lost' | 'lostSamples' | 'other';
  bytes: Buffer;
  lost: number;
}

const streamRecord: fc.Arbitrary<StreamRecord> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.uint8Array({ maxLength: 200 }).map((raw) => ({
      kind: 'sample' as const,
      lost: 0,
      bytes: encodeSample({ id: 1, pid: 2, tid: 3, time: 4n, cpu: 0, raw }),
    })),
  },
  { weight: 1, arbitrary: fc.nat(1e6).map((lost) => ({ kind: 'lost' as const, lost, bytes: encodeLost(lost) })) },
  {
    weight: 1,
    arbitrary: fc.nat(1e6).map((lost) => ({ kind: 'lostSamples' as const, lost, bytes: encodeLostSamples(lost) })),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1, max: 8 }).map((words) => {
      const bytes = Buffer.alloc(words * 8);
      bytes.writeUInt32LE(1, 0); // PERF_RECORD_MMAP: not asked for, skipped by the reader
      bytes.writeUInt16LE(bytes.length, 6);
      return { kind: 'other' as const, lost: 0, bytes };
    }),
  },
);

/** Tail positions anywhere, including just below the 2^64 wrap of the counters. */
const tailPosition = fc.oneof(fc.bigInt({ min: 0n, max: 1n << 40n }), fc.bigInt({ min: U64 - 4096n, max: U64 - 1n }));

test('well-formed records drain to exactly their samples and loss counts, wherever they sit in the ring', () => {
  fc.assert(
    fc.property(
      fc.array(streamRecord, { maxLength: 24 }),
      tailPosition,
      fc.nat(2),
      fc.nat(4096),
      (records, tail, slack, extraOut) => {
        const stream = Buffer.concat(records.map((r) => r.bytes));
        let dataSize = 64;
        while (dataSize < stream.length) dataSize *= 2;
        dataSize <<= slack;
        const largestSample = Math.max(0, ...records.filter((r) => r.kind === 'sample').map((r) => r.bytes.length));
        // Any output size from the largest sample up: smaller ones must take several passes.
        const outBytes = largestSample + (extraOut % (stream.length + 1));
        const head = tail + BigInt(stream.length);
        const memory = ringHolding(dataSize, tail, stream, head);
        const copied: Buffer[] = [];
        let lostRecords = 0;
        let lostSamples = 0;
        for (let pass = 0; pass <= records.length + 1; pass++) {
          const result = drain(memory, dataSize, outBytes);
          copied.push(result.bytes);
          lostRecords += result.lostRecords;
          lostSamples += result.lostSamples;
          assert.equal(result.corruptResets, 0);
          if (!result.outputFull) break;
        }
        const sum = (kind: StreamRecord['kind']) =>
          records.filter((r) => r.kind === kind).reduce((total, r) => total + r.lost, 0);
        assert.deepEqual(
          Buffer.concat(copied),
          Buffer.concat(records.filter((r) => r.kind === 'sample').map((r) => r.bytes)),
        );
        assert.equal(lostRecords, sum('lost'));
        assert.equal(lostSamples, sum('lostSamples'));
        assert.equal(new DataView(memory).getBigUint64(dataTailOffset, true), head % U64, 'the tail reached the head');
      },
    ),
    propertyRuns(1000),
  );
});

test('a ring of garbage is read only as whole sample records, and left with less than a header unread', () => {
  fc.assert(
    fc.property(
      fc
        .integer({ min: 3, max: 12 })
        .chain((log2) => fc.tuple(fc.constant(2 ** log2), fc.uint8Array({ maxLength: 2 ** log2 }))),
      tailPosition,
      fc.nat(),
      fc.nat(512),
      ([dataSize, garbage], tail, span, outBytes) => {
        // Mostly a head within one ring of the tail; sometimes an impossible one further ahead.
        const distance = BigInt(span % (dataSize * 2 + 1));
        const head = tail + distance;
        const memory = ringHolding(dataSize, tail, garbage, head);
        const result = drain(memory, dataSize, outBytes);
        assert.ok(result.bytes.length <= outBytes);
        for (let at = 0; at < result.bytes.length;) {
          const size = result.bytes.readUInt16LE(at + 6);
          assert.equal(result.bytes.readUInt32LE(at), SAMPLE_TYPE, `record at ${at} is a sample`);
          assert.ok(
            size >= HEADER_BYTES && size % 8 === 0 && at + size <= result.bytes.length,
            `record at ${at} is whole`,
          );
          at += size;
        }
        const unread = (head - result.tail + U64) % U64;
        if (distance > BigInt(dataSize))
          assert.deepEqual([result.bytes.length, result.corruptResets, unread], [0, 1, 0n]);
        else if (!result.outputFull) assert.ok(unread < BigInt(HEADER_BYTES), `${unread} bytes left unread`);
      },
    ),
    propertyRuns(2000),
  );
});
