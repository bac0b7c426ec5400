/** Builds perf sample records byte by byte, in the layout the capture requests. */

/** The fields of one synthetic PERF_RECORD_SAMPLE. */
export interface SyntheticSample {
  id: number;
  pid: number;
  tid: number;
  time: bigint;
  cpu: number;
  raw: Uint8Array;
}

/** Encodes one sample record (header + IDENTIFIER, TID, TIME, CPU, RAW), padded to 8 bytes. */
export function encodeSample(sample: SyntheticSample): Buffer {
  const size = Math.ceil((44 + sample.raw.length) / 8) * 8;
  const record = Buffer.alloc(size);
  record.writeUInt32LE(9, 0); // PERF_RECORD_SAMPLE
  record.writeUInt16LE(size, 6);
  record.writeBigUInt64LE(BigInt(sample.id), 8);
  record.writeUInt32LE(sample.pid, 16);
  record.writeUInt32LE(sample.tid, 20);
  record.writeBigUInt64LE(sample.time, 24);
  record.writeUInt32LE(sample.cpu, 32);
  record.writeUInt32LE(sample.raw.length, 40);
  record.set(sample.raw, 44);
  return record;
}

/** Encodes a PERF_RECORD_LOST record reporting `lost` dropped records. */
export function encodeLost(lost: number): Buffer {
  const record = Buffer.alloc(24);
  record.writeUInt32LE(2, 0);
  record.writeUInt16LE(24, 6);
  record.writeBigUInt64LE(7n, 8);
  record.writeBigUInt64LE(BigInt(lost), 16);
  return record;
}

/** Encodes a PERF_RECORD_LOST_SAMPLES record. */
export function encodeLostSamples(lost: number): Buffer {
  const record = Buffer.alloc(16);
  record.writeUInt32LE(13, 0);
  record.writeUInt16LE(16, 6);
  record.writeBigUInt64LE(BigInt(lost), 8);
  return record;
}
