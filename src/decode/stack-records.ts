/**
 * Walking a batch of a session whose events capture call stacks: as decodeRecords (records.ts),
 * but a record's raw data may start after its call chain (symbols/call-chain.ts), and each event
 * gets its interned stack. Kept apart so that sessions without stacks keep the lean walk.
 */
import { rawSizeOffset } from '../symbols/call-chain.js';
import {
  type BatchContext,
  type BatchErrors,
  type EventSlot,
  ExclusionCursor,
  NameCursor,
  SampleLayout,
  type TraceEvent,
  recordSize,
  sampleId,
} from './records.js';
import { WideReader } from './wide-ints.js';

/**
 * decodeRecords for a session with stacks (`context.stacks` set): events of slots with a
 * `chainDepth` get `stack`, the others are read as decodeRecords reads them. Errors as there.
 */
export function decodeStackRecords(
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
  let lastLow = -1;
  let lastHigh = -1;
  let slot: EventSlot | undefined;
  let pos = 0;
  // Nothing after the loop, as in decodeRecords (records.ts), which says why.
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
    if (slot === undefined) {
      errors.malformed++;
      continue;
    }
    const rawSizeAt = slot.chainDepth < 0 ? pos + SampleLayout.rawSize : rawSizeOffset(view, pos, size);
    const rawSize = rawSizeAt < 0 ? -1 : view.getUint32(rawSizeAt, true);
    if (rawSize < 0 || rawSizeAt + 4 + rawSize > pos + size) {
      errors.malformed++;
      continue;
    }
    const pid = view.getUint32(pos + SampleLayout.pid, true);
    if (excluded.has(pid)) continue;
    const tid = view.getUint32(pos + SampleLayout.tid, true);
    const event: TraceEvent = {
      event: slot.name,
      cpu: view.getUint32(pos + SampleLayout.cpu, true),
      pid,
      tid,
      comm: names.nameOf(tid, view, pos),
      time: times.u64(bytes, view, pos + SampleLayout.time),
      fields: slot.decode(bytes, view, rawSizeAt + 4, rawSize, slot.errors),
    };
    if (slot.chainDepth >= 0 && context.stacks !== undefined) {
      event.stack = context.stacks.stackOf(view, pos, pid, slot.chainDepth);
    }
    out.push(event);
    slot.delivered++;
  }
}
