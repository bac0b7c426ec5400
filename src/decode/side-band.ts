/**
 * The side-band records that come with the samples: PERF_RECORD_COMM (a task was renamed, or
 * exec'd), PERF_RECORD_FORK and PERF_RECORD_EXIT. Every event is opened with sample_id_all and
 * sample_type IDENTIFIER | TID | TIME | CPU | RAW, so each of them ends with a 32-byte sample id:
 * pid and tid, time, cpu, identifier (RAW is for samples only). Layouts after the 8-byte header:
 *
 *   COMM:        pid, tid (u32 each), comm (NUL-padded to 8 bytes), sample id
 *   FORK / EXIT: pid, ppid, tid, ptid (u32 each), time (u64), sample id
 *   MMAP2:       pid, tid (u32 each), addr, len, pgoff (u64 each), maj, min (u32 each), ino,
 *                ino_generation (u64 each), prot, flags (u32 each), filename (NUL-padded), sample id
 *
 * MMAP2 records come only when stacks are captured (the session asks for them then).
 */
import type { Mapping } from '../symbols/process-maps.js';
import type { MappingListener } from '../symbols/symbolizer.js';

const PERF_RECORD_COMM = 3;
const PERF_RECORD_EXIT = 4;
const PERF_RECORD_FORK = 7;
const PERF_RECORD_MMAP2 = 10;
/** In a COMM record's misc: the name changed because the process exec'd. */
const PERF_RECORD_MISC_COMM_EXEC = 1 << 13;
/** In an MMAP2 record's misc: a build id stands where maj, min, ino and ino_generation are. */
const PERF_RECORD_MISC_MMAP_BUILD_ID = 1 << 14;
/** Offset of an MMAP2 record's file name. */
const MMAP2_FILENAME = 72;
/** The sample id every side-band record ends with: tid (8), time (8), cpu (8), identifier (8). */
const SAMPLE_ID_BYTES = 32;
/** Offset of the time inside the sample id. */
const SAMPLE_ID_TIME = 8;

/** What a table of process names does with the side-band records of a batch. */
export interface SideBandListener {
  /** Thread `tid` is called `comm` from `time` on (a rename, or an exec when `exec`). */
  renamed(tid: number, comm: string, time: number): void;
  /** Thread `tid` was created by thread `parentTid` at `time`. */
  forked(tid: number, parentTid: number, time: number): void;
  /** Thread `tid` ended at `time`. */
  exited(tid: number, time: number): void;
}

/** A u64 time as a number: exact below 2^53 ns (104 days of uptime), within 2 ns after. */
export function timeAt(view: DataView, offset: number): number {
  return view.getUint32(offset, true) + view.getUint32(offset + 4, true) * 0x100000000;
}

/**
 * Hands every side-band record among `length` bytes of drained side-band records to `listener`,
 * in their order. Records of other types are passed over; a record that does not fit ends the walk.
 */
export function readSideBand(bytes: Buffer, view: DataView, length: number, listener: SideBandListener): void {
  for (let pos = 0; pos + 8 <= length;) {
    const size = view.getUint16(pos + 6, true);
    if (size < 8 || pos + size > length) return;
    const type = view.getUint32(pos, true);
    if (type === PERF_RECORD_COMM && size >= 16 + SAMPLE_ID_BYTES) {
      const end = pos + size - SAMPLE_ID_BYTES;
      const nul = bytes.indexOf(0, pos + 16);
      const comm = bytes.toString('utf8', pos + 16, nul < 0 || nul > end ? end : nul);
      listener.renamed(view.getUint32(pos + 12, true), comm, timeAt(view, end + SAMPLE_ID_TIME));
    } else if ((type === PERF_RECORD_FORK || type === PERF_RECORD_EXIT) && size >= 32) {
      const tid = view.getUint32(pos + 16, true);
      const time = timeAt(view, pos + 24);
      if (type === PERF_RECORD_FORK) listener.forked(tid, view.getUint32(pos + 20, true), time);
      else listener.exited(tid, time);
    }
    pos += size;
  }
}

/** A change to a process's address space, at its time. */
type AddressSpaceChange = { time: number; pid: number } & (
  { kind: 'exec' } | { kind: 'exit' } | { kind: 'fork'; parentPid: number } | { kind: 'mmap'; mapping: Mapping }
);

/**
 * Hands the address-space records among `length` bytes of drained side-band records (exec COMMs,
 * process FORKs and EXITs, MMAP2s) to `mappings` in time order. The batch holds each CPU's ring in
 * turn, and a process that moved CPU between its exec and its mmaps would otherwise have its new
 * mappings wiped by an exec applied after them.
 */
export function readAddressSpaces(bytes: Buffer, view: DataView, length: number, mappings: MappingListener): void {
  const changes: AddressSpaceChange[] = [];
  for (let pos = 0; pos + 8 <= length;) {
    const size = view.getUint16(pos + 6, true);
    if (size < 8 || pos + size > length) break;
    const change = addressSpaceChange(bytes, view, pos, size);
    if (change !== undefined) changes.push(change);
    pos += size;
  }
  // A stable sort: records of one time keep their ring order.
  changes.sort((a, b) => a.time - b.time);
  for (const change of changes) {
    if (change.kind === 'exec') mappings.processExec(change.pid);
    else if (change.kind === 'exit') mappings.processExited(change.pid);
    else if (change.kind === 'fork') mappings.processForked(change.parentPid, change.pid);
    else mappings.mapped(change.pid, change.mapping);
  }
}

/** The change the record at `pos` makes, if it makes one. */
function addressSpaceChange(bytes: Buffer, view: DataView, pos: number, size: number): AddressSpaceChange | undefined {
  const type = view.getUint32(pos, true);
  const pid = view.getUint32(pos + 8, true);
  const sampleIdTime = timeAt(view, pos + size - SAMPLE_ID_BYTES + SAMPLE_ID_TIME);
  if (type === PERF_RECORD_COMM && size >= 16 + SAMPLE_ID_BYTES) {
    const exec = (view.getUint16(pos + 4, true) & PERF_RECORD_MISC_COMM_EXEC) !== 0;
    return exec ? { time: sampleIdTime, pid, kind: 'exec' } : undefined;
  }
  if ((type === PERF_RECORD_FORK || type === PERF_RECORD_EXIT) && size >= 32) {
    const parentPid = view.getUint32(pos + 12, true);
    const time = timeAt(view, pos + 24);
    // Threads share their process's address space: only a process's start and end matter.
    if (view.getUint32(pos + 16, true) !== pid) return undefined;
    if (type === PERF_RECORD_EXIT) return { time, pid, kind: 'exit' };
    return parentPid === pid ? undefined : { time, pid, kind: 'fork', parentPid };
  }
  if (type === PERF_RECORD_MMAP2 && size >= MMAP2_FILENAME + SAMPLE_ID_BYTES) {
    const mapping = mappingOf(bytes, view, pos, size);
    return mapping && { time: sampleIdTime, pid, kind: 'mmap', mapping };
  }
  return undefined;
}

/** The mapping an MMAP2 record describes (undefined for anonymous memory). */
function mappingOf(bytes: Buffer, view: DataView, pos: number, size: number): Mapping | undefined {
  const end = pos + size - SAMPLE_ID_BYTES;
  const nul = bytes.indexOf(0, pos + MMAP2_FILENAME);
  const path = bytes.toString('utf8', pos + MMAP2_FILENAME, nul < 0 || nul > end ? end : nul);
  // Anonymous executable memory (a JIT's code: `//anon`, `[anon:…]`) has no file to read symbols from.
  if (path.startsWith('//anon') || path.startsWith('[anon')) return undefined;
  const hasIdentity = (view.getUint16(pos + 4, true) & PERF_RECORD_MISC_MMAP_BUILD_ID) === 0;
  const start = view.getBigUint64(pos + 16, true);
  return {
    start,
    end: start + view.getBigUint64(pos + 24, true),
    pageOffset: view.getBigUint64(pos + 32, true),
    path,
    major: hasIdentity ? view.getUint32(pos + 40, true) : 0,
    minor: hasIdentity ? view.getUint32(pos + 44, true) : 0,
    inode: hasIdentity ? view.getBigUint64(pos + 48, true) : 0n,
  };
}
