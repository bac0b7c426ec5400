import assert from 'node:assert/strict';
import { test } from 'node:test';

import { native } from '../../src/native.js';
import { bufferFilledSlot, drainCountsLength, ringCountSlot, sideBandBytesSlot } from '../../src/native-protocol.js';
import { encodeLost, encodeLostSamples, encodeSample, encodeComm, encodeTask } from '../helpers/sample-records.js';
import { testAddon } from './test-addon.js';

const { pageSize, dataHeadOffset, dataTailOffset } = native().ringLayout;

/** A ring in JS memory laid out as the kernel maps it: one metadata page, then the data area. */
class SyntheticRing {
  readonly memory: ArrayBuffer;
  private readonly meta: DataView;
  private readonly data: Uint8Array;
  private head: bigint;

  constructor(
    readonly dataSize: number,
    start = 0n,
  ) {
    this.memory = new ArrayBuffer(pageSize + dataSize);
    this.meta = new DataView(this.memory, 0, pageSize);
    this.data = new Uint8Array(this.memory, pageSize);
    this.head = start;
    this.setTail(start);
    this.publish();
  }

  /** Writes a record at the head, wrapping around the end of the data area as the kernel does. */
  write(record: Uint8Array): void {
    for (let i = 0; i < record.length; i++)
      this.data[Number((this.head + BigInt(i)) % BigInt(this.dataSize))] = record[i]!;
    this.head += BigInt(record.length);
  }

  publish(): void {
    this.meta.setBigUint64(dataHeadOffset, this.head, true);
  }

  setHead(head: bigint): void {
    this.head = head;
    this.publish();
  }

  setTail(tail: bigint): void {
    this.meta.setBigUint64(dataTailOffset, tail, true);
  }

  get tail(): bigint {
    return this.meta.getBigUint64(dataTailOffset, true);
  }

  get headPosition(): bigint {
    return this.head;
  }

  drain(outBytes = 1 << 16) {
    const out = new ArrayBuffer(outBytes);
    const counts = new Float64Array(drainCountsLength(1));
    const bytes = testAddon().drainSyntheticRing(this.memory, this.dataSize, out, counts);
    return {
      bytes: Buffer.from(out, 0, bytes),
      lostRecords: counts[ringCountSlot(0, 'lostRecords')],
      lostSamples: counts[ringCountSlot(0, 'lostSamples')],
      corruptResets: counts[ringCountSlot(0, 'corruptResets')],
      outputFull: counts[bufferFilledSlot(1)] === 1,
      sideBandBytes: counts[sideBandBytesSlot(1)],
    };
  }
}

function sample(i: number, rawBytes = 12): Buffer {
  return encodeSample({
    id: 1,
    pid: 1000 + i,
    tid: 1000 + i,
    time: BigInt(i),
    cpu: 0,
    raw: new Uint8Array(rawBytes).fill(i & 0xff),
  });
}

test('complete records are copied in order and the tail is published', () => {
  const ring = new SyntheticRing(4096);
  const records = [sample(1), sample(2), sample(3)];
  records.forEach((r) => {
    ring.write(r);
  });
  ring.publish();
  const result = ring.drain();
  assert.deepEqual(result.bytes, Buffer.concat(records));
  assert.equal(ring.tail, ring.headPosition);
  assert.equal(result.outputFull, false);
  assert.equal(ring.drain().bytes.length, 0);
});

test('a record that wraps around the end of the ring is copied whole', () => {
  // Start 40 bytes before the end of a 1 KiB ring: the 64-byte records straddle the boundary.
  const ring = new SyntheticRing(1024, 1024n * 5n - 40n);
  const records = [sample(7, 20), sample(8, 20), sample(9, 20)];
  records.forEach((r) => {
    ring.write(r);
  });
  ring.publish();
  assert.deepEqual(ring.drain().bytes, Buffer.concat(records));
  // Headers themselves may straddle too: 4 bytes before the end.
  const ring2 = new SyntheticRing(1024, 1024n - 4n);
  ring2.write(sample(10));
  ring2.publish();
  assert.deepEqual(ring2.drain().bytes, sample(10));
});

test('lost records are counted, not copied', () => {
  const ring = new SyntheticRing(4096);
  ring.write(sample(1));
  ring.write(encodeLost(17));
  ring.write(encodeLostSamples(5));
  ring.write(sample(2));
  ring.write(encodeLost(3));
  ring.publish();
  const result = ring.drain();
  assert.deepEqual(result.bytes, Buffer.concat([sample(1), sample(2)]));
  assert.equal(result.lostRecords, 20);
  assert.equal(result.lostSamples, 5);
});

test('side-band records (COMM, FORK, EXIT) are copied and their bytes counted; records of other types are skipped', () => {
  const ring = new SyntheticRing(4096);
  const comm = encodeComm(5, 5, 'renamed', 9n);
  const fork = encodeTask('fork', { pid: 5, tid: 6, ppid: 5, ptid: 5 }, 10n);
  const exit = encodeTask('exit', { pid: 5, tid: 6, ppid: 5, ptid: 5 }, 11n);
  const mmap = Buffer.alloc(32);
  mmap.writeUInt32LE(1, 0); // PERF_RECORD_MMAP: not asked for, passed over
  mmap.writeUInt16LE(32, 6);
  for (const record of [comm, mmap, sample(4), fork, exit]) ring.write(record);
  ring.publish();
  const result = ring.drain();
  assert.deepEqual(result.bytes, Buffer.concat([comm, sample(4), fork, exit]));
  assert.equal(result.sideBandBytes, comm.length + fork.length + exit.length);
});

test('a corrupt header resets the ring to the head and counts, without looping or crashing', () => {
  for (const size of [0, 4, 12, 4000]) {
    const ring = new SyntheticRing(4096);
    ring.write(sample(1));
    const bad = sample(2);
    bad.writeUInt16LE(size, 6);
    ring.write(bad);
    ring.write(sample(3));
    ring.publish();
    const result = ring.drain();
    assert.deepEqual(result.bytes, sample(1), `size ${size}: the good record before it survives`);
    assert.equal(result.corruptResets, 1, `size ${size}`);
    assert.equal(ring.tail, ring.headPosition, `size ${size}: reset to head`);
  }
});

test('a head more than one ring ahead of the tail is treated as corrupt', () => {
  const ring = new SyntheticRing(1024);
  ring.write(sample(1));
  ring.setHead(5000n);
  const result = ring.drain();
  assert.equal(result.bytes.length, 0);
  assert.equal(result.corruptResets, 1);
  assert.equal(ring.tail, 5000n);
});

test('a full output buffer stops before the record that does not fit and resumes there', () => {
  const ring = new SyntheticRing(4096);
  const records = [sample(1), sample(2), sample(3)];
  records.forEach((r) => {
    ring.write(r);
  });
  ring.publish();
  const first = ring.drain(records[0]!.length + 8);
  assert.deepEqual(first.bytes, records[0]);
  assert.equal(first.outputFull, true);
  const rest = ring.drain();
  assert.deepEqual(rest.bytes, Buffer.concat(records.slice(1)));
});

test('an incomplete header at the head is left for the next pass', () => {
  const ring = new SyntheticRing(4096);
  ring.write(sample(1));
  ring.publish();
  ring.setHead(ring.headPosition + 4n); // 4 bytes: less than a header
  const result = ring.drain();
  assert.deepEqual(result.bytes, sample(1));
  assert.equal(ring.tail, ring.headPosition - 4n);
  assert.equal(result.corruptResets, 0);
});

test('a ring filled to exactly its size is drained in one pass', () => {
  const ring = new SyntheticRing(1024, 3n);
  const record = sample(1, 20); // 64 bytes
  for (let i = 0; i < 16; i++) ring.write(record);
  ring.publish();
  const result = ring.drain();
  assert.equal(result.bytes.length, 1024);
  assert.equal(ring.tail, 1027n);
});
