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
 * and the address-space ones to `mappings` when given, in their order. Records of other types are
 * passed over; a record that does not fit ends the walk.
 */
export function readSideBand(
  bytes: Buffer,
  view: DataView,
  length: number,
  listener: SideBandListener,
  mappings?: MappingListener,
): void {
  for (let pos = 0; pos + 8 <= length;) {
    const size = view.getUint16(pos + 6, true);
    if (size < 8 || pos + size > length) return;
    const type = view.getUint32(pos, true);
    if (type === PERF_RECORD_COMM && size >= 16 + SAMPLE_ID_BYTES) {
      const end = pos + size - SAMPLE_ID_BYTES;
      const nul = bytes.indexOf(0, pos + 16);
      const comm = bytes.toString('utf8', pos + 16, nul < 0 || nul > end ? end : nul);
      listener.renamed(view.getUint32(pos + 12, true), comm, timeAt(view, end + SAMPLE_ID_TIME));
      const misc = view.getUint16(pos + 4, true);
      if (mappings !== undefined && (misc & PERF_RECORD_MISC_COMM_EXEC) !== 0) {
        mappings.processExec(view.getUint32(pos + 8, true));
      }
    } else if ((type === PERF_RECORD_FORK || type === PERF_RECORD_EXIT) && size >= 32) {
      const tid = view.getUint32(pos + 16, true);
      const time = timeAt(view, pos + 24);
      if (type === PERF_RECORD_FORK) listener.forked(tid, view.getUint32(pos + 20, true), time);
      else listener.exited(tid, time);
      if (mappings !== undefined) processRecord(view, pos, type, mappings);
    } else if (type === PERF_RECORD_MMAP2 && mappings !== undefined && size >= MMAP2_FILENAME + SAMPLE_ID_BYTES) {
      mappingRecord(bytes, view, pos, size, mappings);
    }
    pos += size;
  }
}

/** A FORK or EXIT record as the start or end of a process (thread ones are passed over). */
function processRecord(view: DataView, pos: number, type: number, mappings: MappingListener): void {
  const pid = view.getUint32(pos + 8, true);
  const parentPid = view.getUint32(pos + 12, true);
  const tid = view.getUint32(pos + 16, true);
  if (tid !== pid) return;
  if (type === PERF_RECORD_FORK && parentPid !== pid) mappings.processForked(parentPid, pid);
  else if (type === PERF_RECORD_EXIT) mappings.processExited(pid);
}

/** An MMAP2 record as a mapping of its process. */
function mappingRecord(bytes: Buffer, view: DataView, pos: number, size: number, mappings: MappingListener): void {
  const end = pos + size - SAMPLE_ID_BYTES;
  const nul = bytes.indexOf(0, pos + MMAP2_FILENAME);
  const path = bytes.toString('utf8', pos + MMAP2_FILENAME, nul < 0 || nul > end ? end : nul);
  // Anonymous executable memory (a JIT's code: `//anon`, `[anon:…]`) has no file to read symbols from.
  if (path.startsWith('//anon') || path.startsWith('[anon')) return;
  const hasIdentity = (view.getUint16(pos + 4, true) & PERF_RECORD_MISC_MMAP_BUILD_ID) === 0;
  const start = view.getBigUint64(pos + 16, true);
  mappings.mapped(view.getUint32(pos + 8, true), {
    start,
    end: start + view.getBigUint64(pos + 24, true),
    pageOffset: view.getBigUint64(pos + 32, true),
    path,
    major: hasIdentity ? view.getUint32(pos + 40, true) : 0,
    minor: hasIdentity ? view.getUint32(pos + 44, true) : 0,
    inode: hasIdentity ? view.getBigUint64(pos + 48, true) : 0n,
  });
}
