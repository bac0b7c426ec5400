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

/** The sample id every side-band record ends with (sample_id_all): tid, time, cpu, identifier. */
function sampleIdTrailer(pid: number, tid: number, time: bigint): Buffer {
  const trailer = Buffer.alloc(32);
  trailer.writeUInt32LE(pid, 0);
  trailer.writeUInt32LE(tid, 4);
  trailer.writeBigUInt64LE(time, 8);
  return trailer;
}

/** Encodes a PERF_RECORD_COMM: thread `tid` of `pid` is called `comm` from `time` on. */
export function encodeComm(pid: number, tid: number, comm: string, time: bigint, exec = false): Buffer {
  const name = Buffer.from(`${comm}\0`);
  const body = Buffer.alloc(8 + Math.ceil(name.length / 8) * 8);
  body.writeUInt32LE(pid, 0);
  body.writeUInt32LE(tid, 4);
  name.copy(body, 8);
  const header = Buffer.alloc(8);
  header.writeUInt32LE(3, 0); // PERF_RECORD_COMM
  header.writeUInt16LE(exec ? 1 << 13 : 0, 4); // PERF_RECORD_MISC_COMM_EXEC
  header.writeUInt16LE(8 + body.length + 32, 6);
  return Buffer.concat([header, body, sampleIdTrailer(pid, tid, time)]);
}

/** Encodes a PERF_RECORD_FORK (`type` 7) or PERF_RECORD_EXIT (`type` 4) of thread `tid`. */
export function encodeTask(
  type: 'fork' | 'exit',
  task: { pid: number; tid: number; ppid: number; ptid: number },
  time: bigint,
): Buffer {
  const record = Buffer.alloc(32);
  record.writeUInt32LE(type === 'fork' ? 7 : 4, 0);
  record.writeUInt16LE(32 + 32, 6);
  record.writeUInt32LE(task.pid, 8);
  record.writeUInt32LE(task.ppid, 12);
  record.writeUInt32LE(task.tid, 16);
  record.writeUInt32LE(task.ptid, 20);
  record.writeBigUInt64LE(time, 24);
  return Buffer.concat([record, sampleIdTrailer(task.pid, task.tid, time)]);
}

/** Encodes a PERF_RECORD_MMAP2 of process `pid`: `path` mapped at [start, start + length) from `pageOffset`. */
export function encodeMmap2(
  pid: number,
  mapping: { start: bigint; length: bigint; pageOffset: bigint; path: string; inode: bigint },
  time: bigint,
): Buffer {
  const name = Buffer.from(`${mapping.path}\0`);
  const body = Buffer.alloc(64 + Math.ceil(name.length / 8) * 8);
  body.writeUInt32LE(pid, 0);
  body.writeUInt32LE(pid, 4);
  body.writeBigUInt64LE(mapping.start, 8);
  body.writeBigUInt64LE(mapping.length, 16);
  body.writeBigUInt64LE(mapping.pageOffset, 24);
  body.writeUInt32LE(8, 32); // major
  body.writeUInt32LE(1, 36); // minor
  body.writeBigUInt64LE(mapping.inode, 40);
  body.writeUInt32LE(5, 56); // PROT_READ | PROT_EXEC
  name.copy(body, 64);
  const header = Buffer.alloc(8);
  header.writeUInt32LE(10, 0); // PERF_RECORD_MMAP2
  header.writeUInt16LE(8 + body.length + 32, 6);
  return Buffer.concat([header, body, sampleIdTrailer(pid, pid, time)]);
}

/**
 * The raw part of a `sched:sched_process_exec` record in the Linux 6.18 layout
 * (test/fixtures/formats/linux-6.18): common fields, `__data_loc char[] filename`, pid, old_pid.
 */
export function execRaw(filename: string, pid: number): Buffer {
  const name = Buffer.from(`${filename}\0`);
  const raw = Buffer.alloc(20 + name.length);
  raw.writeUInt32LE((name.length << 16) | 20, 8);
  raw.writeInt32LE(pid, 12);
  raw.writeInt32LE(pid - 1, 16);
  name.copy(raw, 20);
  return raw;
}

/** The raw part of a `syscalls:sys_enter_getppid` record (Linux 6.18): common fields, `__syscall_nr`. */
export function getppidRaw(nr: number): Buffer {
  const raw = Buffer.alloc(12);
  raw.writeInt32LE(nr, 8);
  return raw;
}
