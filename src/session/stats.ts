/** A session's counters: what the rings lost, what was delivered, and the snapshot `stats()` returns. */
import type { BatchErrors } from '../decode/records.js';
import type { NativeCapture } from '../native.js';
import { drainCountsLength, ringCountSlot } from '../native-protocol.js';
import type { EventSlots } from './event-slots.js';

/** Counters of a session since it was opened. */
export interface SessionStats {
  /** Events decoded and handed to listeners or iterators. */
  delivered: number;
  /** Batches delivered. */
  batches: number;
  /** Records the kernel reported as lost (ring full), in total and per CPU. */
  lost: { total: number; perCpu: Record<number, number> };
  /**
   * How full each CPU's sample ring was (0..1: bytes waiting over the ring's size) when the latest
   * drain began, and the fullest of them: near 1, the reader is falling behind and the kernel
   * will soon drop records.
   */
  ringFill: { max: number; perCpu: Record<number, number> };
  /** Times a ring was reset because its data made no sense (each also loses records). */
  ringResets: number;
  /**
   * Process-name records (exec, rename, fork, exit) the kernel dropped: when not 0, the `comm` of
   * some events may be out of date.
   */
  namesLost: number;
  /** Records whose fields could not all be decoded (truncated, bad `__data_loc`). */
  decodeErrors: number;
  /** Records with an unknown sample id or impossible sizes (skipped). */
  malformedRecords: number;
  /** Per dynamic probe (by label): hits and misses from kprobe_profile / uprobe_profile. */
  probes: Record<string, { hits: number; misses: number }>;
  /** Per event: delivered and decode errors. */
  events: Record<string, { delivered: number; decodeErrors: number }>;
  /**
   * Probes close() could not remove: `busy` (the kernel refused, e.g. another tracer has them
   * enabled; retried by the next close(), at exit, or by a later sweep) or `shared` (another tool
   * added probe points to the event; perf-bridge leaves it). Empty while open and after a clean close.
   */
  probesNotRemoved: { probe: string; reason: 'busy' | 'shared'; message?: string }[];
}

/** What the session's probes contribute to {@link SessionStats}. */
export type ProbeStats = Pick<SessionStats, 'probes' | 'probesNotRemoved'>;

/**
 * The session-wide counters, updated by the drain (ring totals, malformed records) and by delivery
 * (events, batches); the per-event counters live with the event slots.
 */
export class SessionCounters {
  /** Running totals per ring, written by every `drain` (layout in native-protocol.ts). */
  readonly drainCounts: Float64Array;
  /** Records the decoders could not attribute or read. */
  readonly batchErrors: BatchErrors = { malformed: 0 };
  private delivered = 0;
  private batches = 0;
  /** Last PERF_FORMAT_LOST reading per ring, kept for stats() after close. */
  private fdLost: Float64Array | undefined;
  /** Per ring, the fill read as the latest drain began. */
  private readonly ringFill: Float64Array;

  constructor(ringCount: number) {
    this.drainCounts = new Float64Array(drainCountsLength(ringCount));
    this.ringFill = new Float64Array(ringCount);
  }

  /**
   * Keeps the fill readings of the drain call just made as those of the latest drain. Called after
   * a drain's first call only: its later calls find the rings emptied by the earlier ones.
   */
  noteRingFill(): void {
    for (let ring = 0; ring < this.ringFill.length; ring++) {
      this.ringFill[ring] = this.drainCounts[ringCountSlot(ring, 'fill')]!;
    }
  }

  /** Counts one delivered batch of `events` events. */
  countBatch(events: number): void {
    this.delivered += events;
    this.batches++;
  }

  /** Reads the kernel's per-fd loss counters now; the reading outlives the capture. */
  readFdLost(capture: NativeCapture): void {
    this.fdLost = capture.readLost() ?? undefined;
  }

  /** The snapshot of every counter; `cpus[ring]` is the CPU of ring `ring`. */
  snapshot(cpus: readonly number[], slots: EventSlots, probes: ProbeStats): SessionStats {
    const perCpu: Record<number, number> = {};
    const fillPerCpu: Record<number, number> = {};
    let maxFill = 0;
    let total = 0;
    let ringResets = 0;
    let namesLost = 0;
    cpus.forEach((cpu, ring) => {
      const lost = this.ringLost(ring);
      perCpu[cpu] = lost;
      total += lost;
      ringResets += this.drainCounts[ringCountSlot(ring, 'corruptResets')]!;
      namesLost += this.drainCounts[ringCountSlot(ring, 'sideBandLost')]!;
      fillPerCpu[cpu] = this.ringFill[ring]!;
      maxFill = Math.max(maxFill, this.ringFill[ring]!);
    });
    const { events, decodeErrors } = slots.stats();
    return {
      delivered: this.delivered,
      batches: this.batches,
      lost: { total, perCpu },
      ringFill: { max: maxFill, perCpu: fillPerCpu },
      ringResets,
      namesLost,
      decodeErrors,
      malformedRecords: this.batchErrors.malformed,
      events,
      probes: probes.probes,
      probesNotRemoved: probes.probesNotRemoved,
    };
  }

  /**
   * Two views of the same drops: loss records arrive only once a later record fits, the fd counters
   * miss drops of inherited child events. Neither over-counts, so take the larger.
   */
  private ringLost(ring: number): number {
    const fromRecords =
      this.drainCounts[ringCountSlot(ring, 'lostRecords')]! + this.drainCounts[ringCountSlot(ring, 'lostSamples')]!;
    return Math.max(fromRecords, this.fdLost?.[ring] ?? 0);
  }
}
