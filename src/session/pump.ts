/**
 * The pump: drains every ring into one buffer, decodes the records into the forms that have takers
 * and hands them to delivery, in time order across CPUs when asked. {@link Pump.request} is the one
 * place a drain is run or scheduled; timers, readiness, iterators and stop() only ask for one.
 */
import { decodeColumns } from '../decode/column-records.js';
import type { ColumnBatch } from '../decode/columns.js';
import type { ProcessNames } from '../decode/process-names.js';
import { type BatchContext, decodeRecords, type TraceEvent } from '../decode/records.js';
import { readAddressSpaces, readSideBand } from '../decode/side-band.js';
import { decodeStackRecords } from '../decode/stack-records.js';
import type { StackTable } from '../symbols/stack-table.js';
import type { NativeCapture } from '../native.js';
import { bufferFilledSlot, sideBandBytesSlot } from '../native-protocol.js';
import type { Delivery } from './delivery.js';
import type { EventSlots } from './event-slots.js';
import type { SessionCounters } from './stats.js';
import { REORDER_WINDOW_NS, TimeOrder } from './time-order.js';

/**
 * Bytes drained per native call, hence per batch. Small batches keep the decoded objects young:
 * the scavenger then frees them instead of copying them, which at 64k-event batches cost 6x the
 * decode throughput (benchmarks/decode-micro.ts with its BATCH_BYTES raised to match). It must
 * exceed the largest record (perf_event_header.size is 16 bits).
 */
export const BATCH_BYTES = 256 * 1024;

/**
 * How much a drain must do: `normal` drains what takers can take, within a bounded pass; `final`
 * (after disable) drains even for full iterators, and everything, and releases every held event.
 */
export type DrainUrgency = 'normal' | 'final';

/** What a pump drains from and delivers to. */
export interface PumpParts<E extends TraceEvent> {
  capture: NativeCapture;
  slots: EventSlots;
  delivery: Delivery<E>;
  counters: SessionCounters;
  /** Thread names, kept current from the side-band records of each batch. */
  names: ProcessNames;
  /** Processes whose samples are dropped. */
  excludedPids: readonly number[];
  /** The session's stacks, when an event captures them; kept current from the side-band too. */
  stacks: StackTable | undefined;
}

/** How often names no sample can need any more are forgotten, in ms. */
const PRUNE_INTERVAL_MS = 1000;

/** Drains, decodes and delivers the records of one capture. */
export class Pump<E extends TraceEvent> {
  private capture: NativeCapture | undefined;
  private readonly slots: EventSlots;
  private readonly delivery: Delivery<E>;
  private readonly counters: SessionCounters;
  private readonly memory = new ArrayBuffer(BATCH_BYTES);
  private readonly bytes = Buffer.from(this.memory);
  private readonly view = new DataView(this.memory);
  /** Index of the drain count that says the buffer filled before the rings were empty. */
  private readonly bufferFilled: number;
  /** Every side-band ring's records of one drain: the names the batch's samples are given. */
  private readonly sideBand: { memory: ArrayBuffer; bytes: Buffer; view: DataView };
  /** Index of the drain count of the side-band bytes of a drain. */
  private readonly sideBandBytes: number;
  /** Names and exclusions for the decoders. */
  private readonly context: BatchContext;
  private prunedAt = performance.now();
  /** Drain calls per pass: enough for every ring full, plus one. */
  private readonly maxDrainCalls: number;
  /** Holds events back for global time order, with the sortByTime option. */
  private readonly timeOrder: TimeOrder | undefined;
  private draining = false;
  /** A drain asked for while one was running (by a listener): run once the running one is done. */
  private pending: DrainUrgency | undefined;
  /** The queued continuation of a drain that left more in the rings, if any. */
  private continuation: NodeJS.Immediate | undefined;

  /**
   * @param sizes the data bytes of all sample rings together, and of all side-band rings.
   * @param sortByTime deliver objects in one time order across CPUs and batches.
   */
  constructor(parts: PumpParts<E>, sizes: { ringBytes: number; sideBandBytes: number }, sortByTime: boolean) {
    this.capture = parts.capture;
    this.slots = parts.slots;
    this.delivery = parts.delivery;
    this.counters = parts.counters;
    this.bufferFilled = bufferFilledSlot(parts.capture.ringCount);
    this.sideBandBytes = sideBandBytesSlot(parts.capture.ringCount);
    const sideBand = new ArrayBuffer(sizes.sideBandBytes);
    this.sideBand = { memory: sideBand, bytes: Buffer.from(sideBand), view: new DataView(sideBand) };
    this.context = { names: parts.names, excludedPids: parts.excludedPids, stacks: parts.stacks };
    this.maxDrainCalls = Math.ceil(sizes.ringBytes / BATCH_BYTES) + 1;
    this.timeOrder = sortByTime ? new TimeOrder() : undefined;
  }

  /**
   * Drains every ring now and delivers what it holds; when more than a pass's worth is waiting,
   * continues after timers and I/O had their turn (a final drain: right away). Asked for from a
   * listener, during a drain, it runs once that drain is done, since the buffer is still in use.
   */
  request(urgency: DrainUrgency): void {
    if (this.draining) {
      this.pending = this.pending === 'final' || urgency === 'final' ? 'final' : 'normal';
      return;
    }
    this.draining = true;
    try {
      let next: DrainUrgency | undefined = urgency;
      while (next !== undefined) {
        this.pending = undefined;
        const more = this.pass(next === 'final');
        if (more && this.capture !== undefined) {
          if (next === 'final') this.pending = 'final';
          else this.continueLater();
        }
        next = this.pending;
      }
    } finally {
      this.draining = false;
    }
  }

  /** Queues one continuation after timers and I/O; one already queued will do. */
  private continueLater(): void {
    this.continuation ??= setImmediate(() => {
      this.continuation = undefined;
      this.request('normal');
    });
  }

  /** Stops draining for good: the capture is closing. A drain in progress delivers what it decoded. */
  detach(): void {
    this.capture = undefined;
    if (this.continuation !== undefined) clearImmediate(this.continuation);
    this.continuation = undefined;
  }

  /**
   * One drain pass over every ring, bounded so a flood cannot keep the event loop here. Returns
   * true when the rings still held more at the end.
   */
  private pass(final: boolean): boolean {
    const capture = this.capture;
    // With nobody to take them, records wait in the rings (where the kernel counts what no longer
    // fits as lost) instead of being decoded and dropped.
    if (capture === undefined || !this.delivery.hasTakers || (!final && this.delivery.backpressured)) return false;
    if (this.timeOrder === undefined) return this.drainRings(capture, undefined);
    // Everything stamped before this moment (less the window) is in the rings now; the events of
    // every drain call of this pass are released together, after all rings.
    const cutoff = process.hrtime.bigint() - REORDER_WINDOW_NS;
    const collected: TraceEvent[] = [];
    const more = this.drainRings(capture, collected);
    this.deliverObjects(this.timeOrder.release(collected, cutoff));
    // A final drain follows disable(): nothing older can arrive any more.
    if (final) this.deliverObjects(this.timeOrder.flush());
    return more;
  }

  /**
   * Drains buffer-fulls until the rings are empty or the pass's bound is reached; returns true when
   * more is left. With `collect`, objects are gathered there instead of delivered.
   */
  private drainRings(capture: NativeCapture, collect: TraceEvent[] | undefined): boolean {
    let more = true;
    // A listener that closes the session detaches the pump, and one that removes the last taker
    // leaves nobody to decode for: stop there, so the rest waits in the rings (where the kernel
    // counts what no longer fits) instead of being drained and dropped uncounted.
    for (let calls = 0; more && calls < this.maxDrainCalls && this.capture !== undefined; calls++) {
      if (!this.delivery.hasTakers) break;
      const counts = this.counters.drainCounts;
      const length = capture.drain(this.memory, counts, this.sideBand.memory);
      if (calls === 0) this.counters.noteRingFill();
      more = counts[this.bufferFilled] === 1;
      // Names change before the samples are named: each sample looks its name up at its own time.
      const sideBandBytes = counts[this.sideBandBytes]!;
      if (sideBandBytes > 0) {
        const { bytes, view } = this.sideBand;
        readSideBand(bytes, view, sideBandBytes, this.context.names);
        const symbolizer = this.context.stacks?.symbolizer;
        if (symbolizer !== undefined) readAddressSpaces(bytes, view, sideBandBytes, symbolizer);
      }
      if (length > 0) this.decodeAndDeliver(length, collect);
    }
    const now = performance.now();
    if (now - this.prunedAt >= PRUNE_INTERVAL_MS) {
      this.context.names.prune();
      this.prunedAt = now;
    }
    return more;
  }

  /**
   * Decodes drained bytes into the forms that have takers and delivers them; with `collect` (time
   * order) objects are gathered there instead. Both forms are decoded before either is delivered,
   * because a listener may reuse the buffer (by stopping the session) when it returns.
   */
  private decodeAndDeliver(length: number, collect: TraceEvent[] | undefined): void {
    const wantObjects = this.delivery.wantsObjects;
    let objects: TraceEvent[] | undefined;
    if (wantObjects) {
      objects = collect ?? [];
      const { bySampleId } = this.slots;
      const decode = this.context.stacks === undefined ? decodeRecords : decodeStackRecords;
      decode(this.bytes, this.view, length, bySampleId, this.context, objects, this.counters.batchErrors);
    }
    let columns: ColumnBatch | undefined;
    const columnSlots = this.slots.columnsBySampleId;
    if (this.delivery.wantsColumns && columnSlots) {
      // When objects were decoded too, they already counted errors and deliveries.
      const errors = wantObjects ? undefined : this.counters.batchErrors;
      columns = decodeColumns(this.bytes, this.view, length, columnSlots, this.context, errors);
      if (!wantObjects && columns.length > 0) {
        this.slots.countColumnDeliveries(columns);
        this.counters.countBatch(columns.length);
      }
    }
    if (objects && !collect) this.deliverObjects(objects);
    if (columns) this.delivery.deliverColumns(columns);
  }

  /** Hands decoded objects over: they are the session's typed events, as its caller stated them. */
  private deliverObjects(batch: TraceEvent[]): void {
    this.delivery.deliverObjects(batch as E[]);
  }
}
