/** A capture session: events opened on every CPU, drained in batches, decoded into objects. */
import { type ColumnSlot, decodeColumns } from '../decode/column-records.js';
import { ColumnArena, type ColumnBatch } from '../decode/columns.js';
import { compileColumns } from '../decode/compile-columns.js';
import { decodeRecords, type BatchErrors, type EventSlot, type TraceEvent } from '../decode/records.js';
import { WARM_UP_BUDGET_MS, warmColumnDecoder, warmObjectDecoder } from '../decode/warm-up.js';
import { PerfBridgeError, kernelErrorFrom } from '../errors.js';
import { type NativeCapture, native } from '../native.js';
import { BatchQueue } from './batch-queue.js';
import { closeAtExit } from './exit-cleanup.js';
import type { fieldsBrand } from '../probes/definition.js';
import { installProbeCleanup } from '../probes/cleanup.js';
import type { ProbeSet } from '../probes/probe-set.js';
import { type ResolvedSessionOptions, type SessionOptions, resolveSessionOptions } from './options.js';
import { resolveEvents } from './resolve-events.js';
import { REORDER_WINDOW_NS, TimeOrder } from './time-order.js';
import type { ResolvedEvent } from './resolved-event.js';
import { callSafely, probeFinalizer, weakProbeCleanup, weakReadinessCallback } from './weak-hooks.js';

/** Field types per event name, stated by a caller who wants typed `fields`. */
export type FieldsMap = Record<string, Record<string, unknown>>;

/** The field types of each probe in a record of probes: typed for builder definitions. */
export type ProbeFieldsMap<P> = P extends readonly unknown[]
  ? Record<string, Record<string, unknown>>
  : {
      [K in keyof P & string]: P[K] extends { readonly [fieldsBrand]?: infer F }
        ? unknown extends F
          ? Record<string, unknown>
          : F & Record<string, unknown>
        : Record<string, unknown>;
    };

/** The union of typed events a session with field map `M` delivers. */
export type EventOf<M extends FieldsMap> = { [K in keyof M & string]: TraceEvent<K, M[K]> }[keyof M & string];

/** Counters of a session since it was opened. */
export interface SessionStats {
  /** Events decoded and handed to listeners or iterators. */
  delivered: number;
  /** Batches delivered. */
  batches: number;
  /** Records the kernel reported as lost (ring full), in total and per CPU. */
  lost: { total: number; perCpu: Record<number, number> };
  /** Times a ring was reset because its data made no sense (each also loses records). */
  ringResets: number;
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

/** A call that needs an open session was made after close(). */
export class SessionClosedError extends PerfBridgeError {
  /** Always `SESSION_CLOSED`. */
  readonly code = 'SESSION_CLOSED';
}

/**
 * Bytes drained per native call, hence per batch. Small batches keep the decoded objects young:
 * the scavenger then frees them instead of copying them, which at 64k-event batches cost 6x the
 * decode throughput. It must exceed the largest record (perf_event_header.size is 16 bits).
 */
const BATCH_BYTES = 256 * 1024;

/** A running capture. Create with {@link openSession}. */
export class Session<M extends FieldsMap = FieldsMap> implements AsyncIterable<EventOf<M>[]> {
  private capture: NativeCapture | undefined;
  private readonly slots = new Map<number, EventSlot>();
  private readonly slotList: EventSlot[] = [];
  private readonly buffer: Buffer;
  private readonly view: DataView;
  private readonly counts: Float64Array;
  private readonly batchErrors: BatchErrors = { malformed: 0 };
  private readonly listeners = new Set<(batch: EventOf<M>[]) => void>();
  private readonly columnListeners = new Set<(batch: ColumnBatch) => void>();
  /** Column decoders by sample id, compiled when the first column listener arrives. */
  private columnSlots: Map<number, ColumnSlot> | undefined;
  private readonly iterators = new Set<BatchQueue<EventOf<M>>>();
  private flushTimer: NodeJS.Timeout | undefined;
  /** Probe hit counts read just before the probes were removed, for stats() after close. */
  private lastProfiles: SessionStats['probes'] = {};
  private probesNotRemoved: SessionStats['probesNotRemoved'] = [];
  /** Last PERF_FORMAT_LOST reading per ring, kept for stats() after close. */
  private fdLost: Float64Array | undefined;
  private unregisterExit: () => void;
  private unregisterProbeCleanup: () => void = () => {};
  /** Holds events back for global time order, with the sortByTime option. */
  private readonly timeOrder: TimeOrder | undefined;
  private running = false;
  private objectsWarm = false;
  private pumping = false;
  private pumpAgain: 'final' | 'normal' | undefined;
  /** Drain calls per pass: enough for every ring full, plus one. */
  private readonly maxDrainCalls: number;
  private delivered = 0;
  private batches = 0;

  /** @internal use {@link openSession}. */
  constructor(
    private readonly options: ResolvedSessionOptions,
    private readonly resolved: readonly ResolvedEvent[],
    private readonly probeSet?: ProbeSet,
  ) {
    const addon = native();
    try {
      this.capture = new addon.Capture(
        {
          events: resolved.map((event) => event.spec),
          cpus: options.cpus,
          pid: options.pid,
          inherit: options.inherit,
          enableOnExec: options.enableOnExec,
          ringPages: options.ringPages,
          wakeupBytes: options.wakeupBytes,
          wakeupEvents: options.wakeupEvents,
        },
        weakReadinessCallback(new WeakRef(this)),
      );
    } catch (error) {
      const index = (error as { eventIndex?: number }).eventIndex;
      const what =
        index === undefined
          ? 'opening perf events'
          : `opening ${resolved[index]!.name} on CPU ${(error as { cpu?: number }).cpu}`;
      throw kernelErrorFrom(error, what);
    }
    const ids = this.capture.ids();
    for (const event of resolved) {
      this.slotList.push({ name: event.name, decode: event.decode, errors: { count: 0 }, delivered: 0 });
    }
    ids.forEach((id, i) => this.slots.set(Number(id), this.slotList[i % resolved.length]!));
    this.buffer = Buffer.allocUnsafeSlow(BATCH_BYTES);
    this.timeOrder = options.sortByTime ? new TimeOrder() : undefined;
    this.maxDrainCalls =
      Math.ceil((options.ringPages * addon.ringLayout.pageSize * options.cpus.length) / BATCH_BYTES) + 1;
    this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
    this.counts = new Float64Array(3 * this.capture.ringCount + 1);
    this.unregisterExit = closeAtExit(this);
    if (probeSet) {
      this.unregisterProbeCleanup = installProbeCleanup(weakProbeCleanup(new WeakRef(this), probeSet));
      probeFinalizer.register(this, { probeSet, unregister: this.unregisterProbeCleanup }, this);
    }
  }

  /** The formats of the session's events, by `group:name`. */
  get formats(): ReadonlyMap<string, ResolvedEvent['format']> {
    return new Map(this.resolved.map((event) => [event.name, event.format]));
  }

  /** True between start() and stop() / close(). */
  get isRunning(): boolean {
    return this.running;
  }

  /** Enables the events; batches flow to listeners and iterators until stop() or close(). */
  start(): this {
    const capture = this.requireOpen('start');
    if (this.running) return this;
    try {
      capture.enable();
    } catch (error) {
      throw kernelErrorFrom(error, 'enabling perf events');
    }
    this.running = true;
    this.flushTimer = setInterval(() => {
      this.pump();
    }, this.options.flushIntervalMs);
    return this;
  }

  /** Disables the events and delivers what is still in the rings. The session can start again. */
  stop(): void {
    if (!this.running || this.capture === undefined) return;
    this.running = false;
    clearInterval(this.flushTimer);
    this.flushTimer = undefined;
    this.capture.disable();
    this.pump(true);
  }

  /**
   * Stops, delivers what is left, closes every fd and mapping, ends iterators, and removes the
   * session's probes. Idempotent and never throws: a probe the kernel will not let go of yet is
   * reported (a process warning and `stats().probesNotRemoved`) and retried by the next close(),
   * at exit, or by a later session's sweep once this process is gone.
   */
  close(): void {
    try {
      this.closeCapture();
    } finally {
      if (this.probeSet) this.removeProbes(this.probeSet);
    }
  }

  private closeCapture(): void {
    if (this.capture === undefined) return;
    this.stop();
    // A listener called during that final drain may have closed the session already.
    const capture = this.capture as NativeCapture | undefined;
    if (capture === undefined) return;
    this.fdLost = capture.readLost() ?? undefined;
    capture.close();
    this.capture = undefined;
    this.unregisterExit();
    for (const iterator of this.iterators) iterator.end();
    this.iterators.clear();
    if (this.probeSet) this.lastProfiles = this.probeSet.profiles();
  }

  private removeProbes(probeSet: ProbeSet): void {
    const warnedBefore = new Set(this.probesNotRemoved.map((left) => left.probe));
    probeSet.remove();
    if (probeSet.isRemoved) {
      probeFinalizer.unregister(this);
      this.unregisterProbeCleanup();
    }
    this.probesNotRemoved = probeSet
      .leftBehind()
      .map(({ probe, reason, error }) => ({ probe, reason, ...(error ? { message: error.message } : {}) }));
    for (const left of this.probesNotRemoved) {
      if (warnedBefore.has(left.probe)) continue;
      const why =
        left.reason === 'busy'
          ? `the kernel refused (${left.message ?? 'busy'}); retried at exit, or swept after this process ends`
          : 'other tools added probe points to its event; perf-bridge leaves them and it alone';
      process.emitWarning(`probe ${left.probe} was not removed: ${why}`, { code: 'PERF_BRIDGE_PROBE_LEFT' });
    }
  }

  /** Calls `listener` with every batch; returns the function that removes it. */
  onBatch(listener: (batch: EventOf<M>[]) => void): () => void {
    this.requireOpen('add a batch listener to');
    this.warmObjectDecoders();
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /**
   * Calls `listener` with every batch in columnar form: per event, one typed array per field and no
   * allocation per event. Column memory is reused for the next batch: the columns are valid until
   * the listener returns (copy what you keep). Returns the remover.
   */
  onColumns(listener: (batch: ColumnBatch) => void): () => void {
    this.requireOpen('add a column listener to');
    if (this.columnSlots === undefined) {
      const bySlot = new Map<EventSlot, ColumnSlot>();
      const warmUntil = performance.now() + WARM_UP_BUDGET_MS;
      this.slotList.forEach((slot, i) => {
        const format = this.resolved[i]!.format;
        const columns = compileColumns(format);
        const arena = new ColumnArena();
        if (performance.now() < warmUntil) warmColumnDecoder(format, columns, arena);
        // One error counter per event, whichever decoder counts.
        bySlot.set(slot, { name: slot.name, columns, errors: slot.errors, arena });
      });
      this.columnSlots = new Map([...this.slots].map(([id, slot]) => [id, bySlot.get(slot)!]));
    }
    this.columnListeners.add(listener);
    return () => {
      this.columnListeners.delete(listener);
    };
  }

  /** Iterates over batches until the session closes. Each iterator sees every later batch. */
  [Symbol.asyncIterator](): AsyncIterableIterator<EventOf<M>[]> {
    this.requireOpen('iterate over');
    this.warmObjectDecoders();
    const queue = new BatchQueue<EventOf<M>>(
      () => {
        this.pump();
      },
      () => this.iterators.delete(queue),
    );
    this.iterators.add(queue);
    return queue;
  }

  /** Counters since the session was opened. */
  stats(): SessionStats {
    const perCpu: Record<number, number> = {};
    let total = 0;
    let ringResets = 0;
    if (this.capture !== undefined) this.fdLost = this.capture.readLost() ?? undefined;
    this.options.cpus.forEach((cpu, ring) => {
      // Two views of the same drops: loss records arrive only once a later record fits, the fd
      // counters miss drops of inherited child events. Neither over-counts, so take the larger.
      const lost = Math.max(this.counts[3 * ring]! + this.counts[3 * ring + 1]!, this.fdLost?.[ring] ?? 0);
      perCpu[cpu] = lost;
      total += lost;
      ringResets += this.counts[3 * ring + 2]!;
    });
    const events: SessionStats['events'] = {};
    let decodeErrors = 0;
    for (const slot of this.slotList) {
      events[slot.name] = { delivered: slot.delivered, decodeErrors: slot.errors.count };
      decodeErrors += slot.errors.count;
    }
    return {
      delivered: this.delivered,
      batches: this.batches,
      lost: { total, perCpu },
      ringResets,
      decodeErrors,
      malformedRecords: this.batchErrors.malformed,
      events,
      probes: this.probeSet && this.capture !== undefined ? this.probeSet.profiles() : this.lastProfiles,
      probesNotRemoved: [...this.probesNotRemoved],
    };
  }

  /**
   * Warms the object decoders once, when the first object taker arrives: a session used only in
   * columnar mode then spends no time (nor background JIT work) on them.
   */
  private warmObjectDecoders(): void {
    if (this.objectsWarm) return;
    this.objectsWarm = true;
    const warmUntil = performance.now() + WARM_UP_BUDGET_MS;
    for (const event of this.resolved) {
      if (performance.now() >= warmUntil) break;
      warmObjectDecoder(event.format, event.decode);
    }
  }

  /** @internal Called by the native readiness watch: drain every ring now. */
  drainNow(): void {
    this.pump();
  }

  private requireOpen(action: string): NativeCapture {
    if (this.capture === undefined) {
      throw new SessionClosedError(`cannot ${action} a closed session`, {
        hint: 'open a new session with openSession()',
      });
    }
    return this.capture;
  }

  private hasTakers(): boolean {
    return this.listeners.size > 0 || this.columnListeners.size > 0 || this.iterators.size > 0;
  }

  /** True when iterators are the only takers and all are full: leave data in the rings. */
  private backpressured(): boolean {
    if (this.listeners.size > 0 || this.columnListeners.size > 0) return false;
    for (const iterator of this.iterators) {
      if (iterator.length < this.options.maxQueuedBatches) return false;
    }
    return true;
  }

  /** Drains every ring (one native call per buffer-full) and delivers the decoded batch. */
  private pump(final = false): void {
    // A listener that calls stop() or close() re-enters here while the outer pass still owns the
    // buffer: remember the request and run it once the outer pass is done.
    if (this.pumping) {
      this.pumpAgain = this.pumpAgain === 'final' || final ? 'final' : 'normal';
      return;
    }
    this.pumping = true;
    try {
      let again: 'final' | 'normal' | undefined = final ? 'final' : 'normal';
      while (again !== undefined) {
        this.pumpAgain = undefined;
        this.pumpPass(again === 'final');
        again = this.pumpAgain;
      }
    } finally {
      this.pumping = false;
    }
  }

  /** One drain pass over every ring, bounded so a flood cannot keep the event loop here. */
  private pumpPass(final: boolean): void {
    const capture = this.capture;
    // With nobody to take them, records wait in the rings (where the kernel counts what no longer
    // fits as lost) instead of being decoded and dropped.
    if (capture === undefined || !this.hasTakers() || (!final && this.backpressured())) return;
    // Everything stamped before this moment (less the window) is in the rings now; with time
    // order, the events of every drain call of this pass are released together, after all rings.
    const cutoff = process.hrtime.bigint() - REORDER_WINDOW_NS;
    const pass: TraceEvent[] | undefined = this.timeOrder ? [] : undefined;
    let more = true;
    for (let calls = 0; more && calls < this.maxDrainCalls; calls++) {
      const bytes = capture.drain(this.buffer.buffer as ArrayBuffer, this.counts);
      more = this.counts[this.counts.length - 1] === 1;
      if (bytes > 0) this.decodeAndDeliver(bytes, pass);
    }
    if (this.timeOrder && pass) {
      this.deliverObjects(this.timeOrder.release(pass, cutoff));
      // A final drain follows disable(): nothing older can arrive any more.
      if (final) this.deliverObjects(this.timeOrder.flush());
    }
    // Still more than a pass's worth: let timers and I/O run, then continue (at stop, right away).
    if (more && this.capture !== undefined) {
      if (final) this.pumpAgain = 'final';
      else
        setImmediate(() => {
          this.pump();
        });
    }
  }

  /**
   * Decodes drained bytes into the forms that have takers and delivers them; with `collect` (time
   * order) objects are gathered there instead. Both forms are decoded before either is delivered,
   * because a listener may reuse the buffer (by stopping the session) when it returns.
   */
  private decodeAndDeliver(bytes: number, collect: TraceEvent[] | undefined): void {
    const wantObjects = this.listeners.size > 0 || this.iterators.size > 0;
    let objects: TraceEvent[] | undefined;
    if (wantObjects) {
      objects = collect ?? [];
      decodeRecords(this.buffer, this.view, bytes, this.slots, objects, this.batchErrors);
    }
    let columns: ColumnBatch | undefined;
    if (this.columnListeners.size > 0 && this.columnSlots) {
      // When objects were decoded too, they already counted errors and deliveries.
      columns = decodeColumns(
        this.buffer,
        this.view,
        bytes,
        this.columnSlots,
        wantObjects ? undefined : this.batchErrors,
      );
      if (!wantObjects && columns.length > 0) {
        for (const slot of this.slotList) slot.delivered += columns.events.get(slot.name)?.length ?? 0;
        this.delivered += columns.length;
        this.batches++;
      }
    }
    if (objects && !collect) this.deliverObjects(objects);
    if (columns) for (const listener of this.columnListeners) callSafely(listener, columns);
  }

  private deliverObjects(batch: TraceEvent[]): void {
    if (batch.length === 0) return;
    this.delivered += batch.length;
    this.batches++;
    for (const iterator of this.iterators) iterator.push(batch as EventOf<M>[]);
    for (const listener of this.listeners) callSafely(listener, batch as EventOf<M>[]);
  }
}

/**
 * Opens a session on tracepoints (`group:name`) and dynamic probes. Events start disabled: call
 * start(). Tracepoint fields are typed when stated as `M`, e.g.
 * `openSession<{ 'sched:sched_process_exec': { filename: string; pid: number; old_pid: number } }>(...)`;
 * probes given as a record of builder definitions are typed from the builder.
 */
export function openSession<M extends FieldsMap = {}, const N extends string = never, const P extends object = {}>(
  options: SessionOptions<N | (keyof M & string)> & { probes?: P },
): Session<Simplify<M & Record<N, Record<string, unknown>> & ProbeFieldsMap<P>>> {
  const resolvedOptions = resolveSessionOptions(options, native().ringLayout.pageSize);
  const { events, probeSet } = resolveEvents(resolvedOptions);
  try {
    return new Session(resolvedOptions, events, probeSet);
  } catch (error) {
    probeSet?.discard();
    throw error;
  }
}

type Simplify<T> = { [K in keyof T]: T[K] } & {};
