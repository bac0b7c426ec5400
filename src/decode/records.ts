/**
 * Walking a drained batch of perf sample records. Every event was opened with sample_type
 * IDENTIFIER | TID | TIME | CPU | RAW, so a sample's layout is fixed:
 *
 *   0 header (u32 type, u16 misc, u16 size)   8 id (u64)   16 pid, tid (u32 each)
 *   24 time (u64)   32 cpu, reserved (u32 each)   40 raw size (u32)   44 raw data
 *
 * An event with stacks adds CALLCHAIN, whose chain stands before the raw size (symbols/call-chain.ts).
 */
import type { FieldsDecoder } from './compile.js';
import type { DecodeErrorCounter } from './field-readers.js';
import { type NameSpan, type ProcessNames, nameAt } from './process-names.js';
import { timeAt } from './side-band.js';
import { WideReader } from './wide-ints.js';
import type { CallStack, StackTable } from '../symbols/stack-table.js';

/** Offsets of the sample fields inside a record (see the module comment). */
export const SampleLayout = {
  size: 6,
  id: 8,
  pid: 16,
  tid: 20,
  time: 24,
  cpu: 32,
  rawSize: 40,
  raw: 44,
} as const;

/** The sample id of the record at `pos`: two 32-bit halves make an exact number (ids are small counters). */
export function sampleId(view: DataView, pos: number): number {
  return view.getUint32(pos + SampleLayout.id, true) + view.getUint32(pos + SampleLayout.id + 4, true) * 0x100000000;
}

/**
 * The size of the record at `pos`, or -1 when it does not fit in the batch or lies about its size.
 * `expected` is the size of the record before it (0 for none). When the two are equal (most
 * records of a batch have one size) `expected` is returned, so the walk's next position depends
 * on a branch the CPU predicts rather than on the load, and the CPU reads ahead without waiting
 * for it: a walk over batches streaming from memory went from 13.6 to 10.4 ns per 64-byte record.
 */
export function recordSize(view: DataView, pos: number, length: number, expected: number): number {
  if (pos + SampleLayout.raw > length) return -1;
  const size = view.getUint16(pos + SampleLayout.size, true);
  if (size === expected && expected >= SampleLayout.raw) return pos + expected > length ? -1 : expected;
  return size < SampleLayout.raw || pos + size > length ? -1 : size;
}

/** One decoded event. `fields` holds the event's own fields, without `common_*`. */
export interface TraceEvent<Name extends string = string, Fields = Record<string, unknown>> {
  /** `group:name` of the event. */
  event: Name;
  cpu: number;
  /** Process (thread group) id. */
  pid: number;
  /** Thread id. */
  tid: number;
  /** The thread's name (`comm`) when the event happened, as perf shows it; `:TID` when unknown. */
  comm: string;
  /** CLOCK_MONOTONIC nanoseconds, the clock of `process.hrtime.bigint()`. */
  time: bigint;
  fields: Fields;
  /** The call stack, innermost frame first, when the event was opened with the `stack` option. */
  stack?: CallStack;
}

/** What the batch walker needs to know about one opened event. */
export interface EventSlot {
  /** `group:name`. */
  name: string;
  decode: FieldsDecoder;
  errors: DecodeErrorCounter;
  delivered: number;
  /**
   * -1, or with the `stack` option the most frames the records' call chains hold. A number either
   * way, so that every slot has one shape for the walk.
   */
  chainDepth: number;
}

/**
 * What decoding a batch needs besides its bytes: the records' process names, and the processes
 * whose samples are dropped (self-exclusion).
 */
export interface BatchContext {
  names: ProcessNames;
  /** Thread group ids whose samples are left out (the kernel filter misses threads started later). */
  excludedPids: readonly number[];
  /** The session's stacks, when any of its events captures them (a key either way: one shape). */
  stacks: StackTable | undefined;
}

/** True when `pid` is one of `excluded` (a handful at most: a loop beats a Set here). */
function isExcluded(excluded: readonly number[], pid: number): boolean {
  for (const candidate of excluded) if (candidate === pid) return true;
  return false;
}

/** {@link isExcluded} for consecutive samples, which mostly come from one process: asked once per run. */
export class ExclusionCursor {
  private pid = -1;
  private excluded = false;

  constructor(private readonly pids: readonly number[]) {}

  /** Whether the samples of `pid` are left out. */
  has(pid: number): boolean {
    if (pid !== this.pid) {
      this.excluded = this.pids.length > 0 && isExcluded(this.pids, pid);
      this.pid = pid;
    }
    return this.excluded;
  }
}

/** Tracks the thread of consecutive samples, whose name span is then looked up once. */
export class NameCursor {
  private tid = -1;
  private span: NameSpan | undefined;

  constructor(private readonly names: ProcessNames) {}

  /** The name of `tid` at the time of the sample at `pos` (its time read only when it matters). */
  nameOf(tid: number, view: DataView, pos: number): string {
    if (tid !== this.tid || this.span === undefined) {
      this.span = this.names.spanOf(tid);
      this.tid = tid;
    }
    return this.span.older === undefined ? this.span.comm : nameAt(this.span, timeAt(view, pos + SampleLayout.time));
  }
}

/** Counts of records the walker could not attribute or read. */
export interface BatchErrors {
  /** Records whose sample id matches no opened event, or whose raw size overruns the record. */
  malformed: number;
}

/**
 * Decodes `length` bytes of sample records into `out` (appending), each with its thread's name,
 * leaving out the samples of excluded processes. Reads only inside [0, length). A record with an
 * unknown id or a raw part larger than itself is counted in `errors` and skipped; a record whose
 * size overruns the batch ends the walk (nothing after it can be trusted) and is counted too.
 *
 * The walk over the records is written out in locals (as in column-records.ts), with
 * {@link recordSize} and {@link sampleId}: a cursor object's fields cost a few ns per record, and
 * the per-record cost is what this path is measured on (benchmarks/decode-micro.ts). Sessions
 * whose events capture stacks walk with decodeStackRecords (stack-records.ts) instead, so that
 * what a call chain needs (a raw part that moves, a stack per event) costs the others nothing.
 */
export function decodeRecords(
  bytes: Buffer,
  view: DataView,
  length: number,
  slots: Map<number, EventSlot>,
  context: BatchContext,
  out: TraceEvent[],
  errors: BatchErrors,
): void {
  const names = new NameCursor(context.names);
  const excluded = new ExclusionCursor(context.excludedPids);
  const times = new WideReader();
  // Consecutive records mostly belong to one event: look its id up once per run (compared as
  // the two words it is made of).
  let lastLow = -1;
  let lastHigh = -1;
  let slot: EventSlot | undefined;
  let pos = 0;
  // The walk ends in its loop condition, with nothing after the loop: V8 compiles the loop mid-call
  // (OSR) during the warm-up, before code after it has ever run, and such code, without type
  // feedback, threw the compiled loop away at the end of every batch.
  for (let size = 0; pos < length; pos += size) {
    size = recordSize(view, pos, length, size);
    if (size < 0) {
      errors.malformed++; // a record whose size overruns the batch ends the walk
      break;
    }
    const low = view.getUint32(pos + SampleLayout.id, true);
    const high = view.getUint32(pos + SampleLayout.id + 4, true);
    if (low !== lastLow || high !== lastHigh) {
      slot = slots.get(sampleId(view, pos));
      lastLow = low;
      lastHigh = high;
    }
    const rawSize = view.getUint32(pos + SampleLayout.rawSize, true);
    if (slot === undefined || SampleLayout.raw + rawSize > size) {
      errors.malformed++;
      continue;
    }
    const pid = view.getUint32(pos + SampleLayout.pid, true);
    if (excluded.has(pid)) continue;
    const tid = view.getUint32(pos + SampleLayout.tid, true);
    out.push({
      event: slot.name,
      cpu: view.getUint32(pos + SampleLayout.cpu, true),
      pid,
      tid,
      comm: names.nameOf(tid, view, pos),
      time: times.u64(bytes, view, pos + SampleLayout.time),
      fields: slot.decode(bytes, view, pos + SampleLayout.raw, rawSize, slot.errors),
    });
    slot.delivered++;
  }
}
