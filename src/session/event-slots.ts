/**
 * The session's events as the decoders see them: one slot per event with its decoders and counters,
 * and tables from sample id (one per event and ring) to slot. Object decoders are warmed and column
 * decoders compiled on first use, so a session pays only for the form it delivers.
 */
import { type ColumnSlot } from '../decode/column-records.js';
import { ColumnArena } from '../decode/columns.js';
import type { ColumnBatch } from '../decode/columns.js';
import { compileColumns } from '../decode/compile-columns.js';
import type { EventSlot } from '../decode/records.js';
import { WARM_UP_BUDGET_MS, eventWarmUpEnd, warmColumnDecoder, warmObjectDecoder } from '../decode/warm-up.js';
import { BATCH_BYTES } from './pump.js';
import type { ResolvedEvent } from './resolved-event.js';
import type { SessionStats } from './stats.js';

/** Per-event slots of a capture, by sample id. */
export class EventSlots {
  /** One slot per event, in the order the events were opened. */
  readonly list: readonly EventSlot[];
  /** Object decoding: the slot of each sample id. */
  readonly bySampleId = new Map<number, EventSlot>();
  private columnSlots: Map<number, ColumnSlot> | undefined;
  private objectsWarm = false;

  /**
   * @param events the capture's events, in the order they were opened.
   * @param ids the capture's sample ids (`Capture.ids()`): per ring and target, one per event in
   *   event order (native-protocol.ts `sampleIdSlot`).
   */
  constructor(
    private readonly events: readonly ResolvedEvent[],
    ids: BigUint64Array,
  ) {
    this.list = events.map((event) => ({
      name: event.name,
      decode: event.decode,
      errors: { count: 0 },
      delivered: 0,
      chainDepth: event.stack?.maxDepth ?? -1,
    }));
    ids.forEach((id, slot) => this.bySampleId.set(Number(id), this.list[slot % this.list.length]!));
  }

  /** Column decoding: the column slot of each sample id, once {@link compileColumnDecoders} ran. */
  get columnsBySampleId(): Map<number, ColumnSlot> | undefined {
    return this.columnSlots;
  }

  /**
   * Warms the object decoders once, when the first object taker arrives: a session used only in
   * columnar mode then spends no time (nor background JIT work) on them.
   */
  warmObjectDecoders(): void {
    if (this.objectsWarm) return;
    this.objectsWarm = true;
    const warmUntil = performance.now() + WARM_UP_BUDGET_MS;
    for (const event of this.events) {
      if (performance.now() >= warmUntil) break;
      warmObjectDecoder(event.format, event.decode, eventWarmUpEnd(warmUntil));
    }
  }

  /** Compiles (and, within the warm-up budget, warms) the column decoders, once: at the first column taker. */
  compileColumnDecoders(): void {
    if (this.columnSlots !== undefined) return;
    const warmUntil = performance.now() + WARM_UP_BUDGET_MS;
    const bySlot = new Map<EventSlot, ColumnSlot>();
    this.list.forEach((slot, eventIndex) => {
      const format = this.events[eventIndex]!.format;
      const columns = compileColumns(format, slot.chainDepth);
      const arena = new ColumnArena();
      // The warm-up's synthetic records have no call chains.
      if (slot.chainDepth < 0 && performance.now() < warmUntil) {
        warmColumnDecoder(format, columns, arena, BATCH_BYTES, eventWarmUpEnd(warmUntil));
      }
      // One error counter per event, whichever decoder counts.
      bySlot.set(slot, { name: slot.name, columns, errors: slot.errors, arena });
    });
    this.columnSlots = new Map([...this.bySampleId].map(([id, slot]) => [id, bySlot.get(slot)!]));
  }

  /** Counts the events of a column batch as delivered, when no object decoding counted them. */
  countColumnDeliveries(columns: ColumnBatch): void {
    for (const slot of this.list) slot.delivered += columns.events.get(slot.name)?.length ?? 0;
  }

  /** Per-event counters, and the decode errors of all events. */
  stats(): Pick<SessionStats, 'events' | 'decodeErrors'> {
    const events: SessionStats['events'] = {};
    let decodeErrors = 0;
    for (const slot of this.list) {
      events[slot.name] = { delivered: slot.delivered, decodeErrors: slot.errors.count };
      decodeErrors += slot.errors.count;
    }
    return { events, decodeErrors };
  }
}
