/**
 * Walking a drained batch of perf sample records. Every record was opened with sample_type
 * IDENTIFIER | TID | TIME | CPU | RAW, so its layout is fixed:
 *
 *   0 header (u32 type, u16 misc, u16 size)   8 id (u64)   16 pid, tid (u32 each)
 *   24 time (u64)   32 cpu, reserved (u32 each)   40 raw size (u32)   44 raw data
 */
import type { FieldsDecoder } from './compile.js';
import type { DecodeErrorCounter } from './field-readers.js';

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

/** One decoded event. `fields` holds the event's own fields, without `common_*`. */
export interface TraceEvent<Name extends string = string, Fields = Record<string, unknown>> {
  /** `group:name` of the event. */
  event: Name;
  cpu: number;
  /** Process (thread group) id. */
  pid: number;
  /** Thread id. */
  tid: number;
  /** CLOCK_MONOTONIC nanoseconds, the clock of `process.hrtime.bigint()`. */
  time: bigint;
  fields: Fields;
}

/** What the batch walker needs to know about one opened event. */
export interface EventSlot {
  /** `group:name`. */
  name: string;
  decode: FieldsDecoder;
  errors: DecodeErrorCounter;
  delivered: number;
}

/** Counts of records the walker could not attribute or read. */
export interface BatchErrors {
  /** Records whose sample id matches no opened event, or whose raw size overruns the record. */
  malformed: number;
}

/**
 * Decodes `length` bytes of sample records into `out` (appending). Reads only inside
 * [0, length); a record that lies about its sizes is counted in `errors` and skipped.
 */
export function decodeRecords(
  bytes: Buffer,
  view: DataView,
  length: number,
  slots: Map<number, EventSlot>,
  out: TraceEvent[],
  errors: BatchErrors,
): void {
  let pos = 0;
  while (pos + SampleLayout.raw <= length) {
    const size = view.getUint16(pos + SampleLayout.size, true);
    if (size < SampleLayout.raw || pos + size > length) {
      errors.malformed++;
      return;
    }
    const rawSize = view.getUint32(pos + SampleLayout.rawSize, true);
    // Sample ids are small kernel counters; two 32-bit halves make an exact number.
    const id = view.getUint32(pos + SampleLayout.id, true) + view.getUint32(pos + SampleLayout.id + 4, true) * 0x100000000;
    const slot = slots.get(id);
    if (slot === undefined || SampleLayout.raw + rawSize > size) {
      errors.malformed++;
      pos += size;
      continue;
    }
    const start = pos + SampleLayout.raw;
    out.push({
      event: slot.name,
      cpu: view.getUint32(pos + SampleLayout.cpu, true),
      pid: view.getUint32(pos + SampleLayout.pid, true),
      tid: view.getUint32(pos + SampleLayout.tid, true),
      time: view.getBigUint64(pos + SampleLayout.time, true),
      fields: slot.decode(bytes, view, start, rawSize, slot.errors),
    });
    slot.delivered++;
    pos += size;
  }
}
