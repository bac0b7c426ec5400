/**
 * A capture session: events opened on every CPU, drained in batches, decoded into objects or
 * columns. The Session is the public face; its parts are the pump (drain and decode, the one place
 * a drain is scheduled), delivery (listeners, iterators, backpressure), the event slots (decoders by
 * sample id), the counters behind stats(), and the probes it owns.
 */
import { createRequire } from 'node:module';

import type { ColumnBatch } from '../decode/columns.js';
import { ProcessNames } from '../decode/process-names.js';
import type { TraceEvent } from '../decode/records.js';
import { PerfBridgeError, kernelErrorFrom } from '../errors.js';
import { closeAtExit } from '../lifecycle/teardown.js';
import { type NativeCapture, native } from '../native.js';
import type { Simplify, fieldsBrand } from '../probes/definition.js';
import type { ProbeSet } from '../probes/probe-set.js';
import { type CommandExit, type HeldCommand, startHeldCommand } from '../process/command.js';
import { readComms } from '../process/comms.js';
import { Delivery } from './delivery.js';
import { EventSlots } from './event-slots.js';
import { SIDE_BAND_PAGES, openCapture } from './open-capture.js';
import { type ResolvedSessionOptions, type SessionOptions, resolveSessionOptions } from './options.js';
import { Pump } from './pump.js';
import { resolveEvents } from './resolve-events.js';
import type { ResolvedEvent } from './resolved-event.js';
import { SessionProbes } from './session-probes.js';
import { SessionCounters, type SessionStats } from './stats.js';
import type { StackTable } from '../symbols/stack-table.js';

export type { SessionStats } from './stats.js';

/**
 * The sessions between start() and stop(): held here so that a running session is not collected
 * (the addon holds its readiness callback, and through it the session, only weakly).
 */
const runningSessions = new Set<object>();

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

/** The command a session started for its `command` option. */
export interface SessionCommand {
  /** Its process id (the events' `pid`). */
  readonly pid: number;
  /** Resolves with its exit code or signal once it ended; never rejects. */
  readonly exited: Promise<CommandExit>;
}

/** A call that needs an open session was made after close(). */
export class SessionClosedError extends PerfBridgeError {
  /** Always `SESSION_CLOSED`. */
  readonly code = 'SESSION_CLOSED';
}

/** A running capture. Create with {@link openSession}. */
export class Session<M extends FieldsMap = FieldsMap> implements AsyncIterable<EventOf<M>[]> {
  /** Open until close(); the pump holds it too, until detached. */
  private capture: NativeCapture | undefined;
  private readonly slots: EventSlots;
  private readonly counters: SessionCounters;
  private readonly delivery: Delivery<EventOf<M>>;
  private readonly pump: Pump<EventOf<M>>;
  private readonly probes: SessionProbes | undefined;
  private readonly names = new ProcessNames();
  private readonly unregisterExit: () => void;
  private started = false;

  /** @internal use {@link openSession}. */
  constructor(
    private readonly options: ResolvedSessionOptions,
    private readonly resolved: readonly ResolvedEvent[],
    probeSet?: ProbeSet,
    private readonly held?: HeldCommand,
  ) {
    const { capture, excludedPids } = openCapture(options, resolved, this, held?.pid);
    this.capture = capture;
    this.slots = new EventSlots(resolved, capture.ids());
    this.counters = new SessionCounters(capture.ringCount);
    this.delivery = new Delivery(this.counters, options.maxQueuedBatches);
    const { pageSize } = native().ringLayout;
    const ringBytes = options.ringPages * pageSize * options.cpus.length;
    const sideBandBytes = SIDE_BAND_PAGES * pageSize * options.cpus.length;
    const parts = { capture, slots: this.slots, delivery: this.delivery, counters: this.counters };
    const naming = { names: this.names, excludedPids, stacks: stackTableFor(resolved, options.pids) };
    this.pump = new Pump({ ...parts, ...naming }, { ringBytes, sideBandBytes }, options.sortByTime);
    this.unregisterExit = closeAtExit(this);
    this.probes = probeSet && new SessionProbes(this, probeSet);
  }

  /** The formats of the session's events, by `group:name`. */
  get formats(): ReadonlyMap<string, ResolvedEvent['format']> {
    return new Map(this.resolved.map((event) => [event.name, event.format]));
  }

  /**
   * The command the `command` option started: its pid, and its exit (code or signal) once it
   * ended. It runs from the first start().
   */
  get command(): SessionCommand | undefined {
    return this.held && { pid: this.held.pid, exited: this.held.exited };
  }

  /** True between start() and stop() / close(). */
  get isRunning(): boolean {
    return runningSessions.has(this);
  }

  /** Enables the events; batches flow to listeners and iterators until stop() or close(). */
  start(): this {
    const capture = this.requireOpen('start');
    if (this.isRunning) return this;
    // Before enabling: a session on this very process would otherwise trace the reads of /proc.
    this.seedNames();
    try {
      capture.enable();
    } catch (error) {
      throw kernelErrorFrom(error, 'enabling perf events');
    }
    // The addon drains from now on: at the kernel's wakeup point, and when the oldest waiting sample
    // reaches the flush interval, without waking JavaScript while nothing is due.
    runningSessions.add(this);
    if (!this.started) this.held?.release();
    this.started = true;
    return this;
  }

  /** Disables the events and delivers what is still in the rings. The session can start again. */
  stop(): void {
    if (!this.isRunning || this.capture === undefined) return;
    runningSessions.delete(this);
    this.capture.disable();
    this.pump.request('final');
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
      this.probes?.remove();
    }
  }

  /** Calls `listener` with every batch; returns the function that removes it. */
  onBatch(listener: (batch: EventOf<M>[]) => void): () => void {
    this.requireOpen('add a batch listener to');
    this.slots.warmObjectDecoders();
    return this.delivery.addListener(listener);
  }

  /**
   * Calls `listener` with every batch in columnar form: per event, one typed array per field and no
   * allocation per event. Column memory is reused for the next batch: the columns are valid until
   * the listener returns (copy what you keep). Returns the remover.
   */
  onColumns(listener: (batch: ColumnBatch) => void): () => void {
    this.requireOpen('add a column listener to');
    this.slots.compileColumnDecoders();
    return this.delivery.addColumnListener(listener);
  }

  /** Iterates over batches until the session closes. Each iterator sees every later batch. */
  [Symbol.asyncIterator](): AsyncIterableIterator<EventOf<M>[]> {
    this.requireOpen('iterate over');
    this.slots.warmObjectDecoders();
    // The iterator holds the session (not just the pump): the session lives while it is iterated.
    return this.delivery.addIterator(() => {
      this.pump.request('normal');
    });
  }

  /** Counters since the session was opened. */
  stats(): SessionStats {
    if (this.capture !== undefined) this.counters.readFdLost(this.capture);
    const probes = this.probes?.stats(this.capture !== undefined) ?? { probes: {}, probesNotRemoved: [] };
    return this.counters.snapshot(this.options.cpus, this.slots, probes);
  }

  /** @internal Called by the native readiness watch: drain every ring now. */
  drainNow(): void {
    this.pump.request('normal');
  }

  /**
   * Names every thread from /proc; a rename once the events are enabled comes as a side-band
   * record. On a restart the names read count from now, so older samples keep theirs.
   */
  private seedNames(): void {
    const pids = this.held ? [this.held.pid] : this.options.pids;
    const comms = readComms(pids.length > 0 ? pids : undefined);
    if (this.started) this.names.seed(comms, Number(process.hrtime.bigint()));
    else this.names.seed(comms);
  }

  private closeCapture(): void {
    if (this.capture === undefined) return;
    this.stop();
    // A listener called during that final drain may have closed the session already.
    const capture = this.capture as NativeCapture | undefined;
    if (capture === undefined) return;
    this.counters.readFdLost(capture);
    capture.close();
    this.capture = undefined;
    this.pump.detach();
    this.unregisterExit();
    this.delivery.endIterators();
    this.probes?.rememberProfiles();
  }

  private requireOpen(action: string): NativeCapture {
    if (this.capture === undefined) {
      throw new SessionClosedError(`cannot ${action} a closed session`, {
        hint: 'open a new session with openSession()',
      });
    }
    return this.capture;
  }
}

/**
 * The field map when nothing is stated: empty on purpose, the neutral element of the intersection
 * that types a session's events. A type literal, not an interface: only a literal gets the implicit
 * index signature that `extends FieldsMap` needs.
 */
/* eslint-disable-next-line @typescript-eslint/no-empty-object-type,
   @typescript-eslint/consistent-type-definitions -- empty on purpose, and a literal: see above */
type NoFields = {};

/**
 * Opens a session on tracepoints (`group:name`) and dynamic probes. Events start disabled: call
 * start(). Tracepoint fields are typed when stated as `M`, e.g.
 * `openSession<{ 'sched:sched_process_exec': { filename: string; pid: number; old_pid: number } }>(...)`;
 * probes given as a record of builder definitions are typed from the builder.
 */
export function openSession<
  M extends FieldsMap = NoFields,
  const N extends string = never,
  const P extends object = NoFields,
>(
  options: SessionOptions<N | (keyof M & string)> & { probes?: P },
): Session<Simplify<M & Record<N, Record<string, unknown>> & ProbeFieldsMap<P>>> {
  const resolvedOptions = resolveSessionOptions(options, native().ringLayout.pageSize);
  const { events, probeSet } = resolveEvents(resolvedOptions);
  let held: HeldCommand | undefined;
  try {
    if (resolvedOptions.command !== undefined) held = startHeldCommand(resolvedOptions.command);
    return new Session(resolvedOptions, events, probeSet, held);
  } catch (error) {
    held?.kill('SIGKILL');
    probeSet?.discard();
    throw error;
  }
}

/**
 * The stack table of a session whose events capture stacks (undefined when none does), with the
 * symbols of the traced processes' files read now (`pids`), before the capture starts.
 */
function stackTableFor(events: readonly ResolvedEvent[], pids: readonly number[]): StackTable | undefined {
  if (!events.some((event) => event.stack !== undefined)) return undefined;
  const kernel = events.some((event) => event.stack?.kernel === true);
  const { StackTable, Symbolizer } = stackModules();
  const symbolizer = new Symbolizer(kernel, warnHiddenKernelSymbols);
  if (events.some((event) => event.stack?.user === true)) symbolizer.prepare(pids);
  return new StackTable(symbolizer);
}

/** Loads the symbolization modules (Node ≥ 20.19 requires ES modules synchronously). */
const requireModule = createRequire(import.meta.url);

/**
 * The stack table and the symbolizer, loaded for the first session with stacks only: imported by
 * every session, these modules (which a session without stacks never runs) cost object mode its
 * margin at the getppid flood (benchmarks/README.md, "Object mode at the flood after stacks").
 */
function stackModules(): StackModules {
  return {
    ...(requireModule('../symbols/stack-table.js') as typeof import('../symbols/stack-table.js')),
    ...(requireModule('../symbols/symbolizer.js') as typeof import('../symbols/symbolizer.js')),
  };
}

/** What {@link stackModules} loads. */
type StackModules = typeof import('../symbols/stack-table.js') & typeof import('../symbols/symbolizer.js');

/** Told once per session: kernel frames stay hex when /proc/kallsyms hides addresses. */
function warnHiddenKernelSymbols(): void {
  process.emitWarning(
    'kernel stack frames are shown as addresses: /proc/kallsyms hides them from this process ' +
      '(kernel.kptr_restrict, or not root); run as root with kernel.kptr_restrict=0 for names',
    { code: 'PERF_BRIDGE_KERNEL_SYMBOLS_HIDDEN' },
  );
}
