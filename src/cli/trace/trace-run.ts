/**
 * A trace while it runs: what ends it (signals, an output error, the duration, the command's exit,
 * the event limit), what it reports at the end (a failure, the summary), and its exit status.
 */
import type { Session } from '../../session/session.js';
import { type HeldCommand, stopCommand } from '../command.js';
import { EXIT_TRACE_FAILED, describeFailure } from '../failure.js';
import { setLongTimeout } from '../long-timeout.js';
import { OutputWriteError } from '../output-failure.js';
import { isReaderGone } from '../output.js';
import type { StatusLine } from '../status-line.js';
import type { ColumnFeed } from './column-feed.js';
import { flushed } from './streams.js';

/** The signals that end a trace and are passed on to the command, which then decides the exit status. */
const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Why the trace ended: only when the command ended it (or took a signal) does its status become ours. */
type StopReason = 'command' | 'limit' | 'signal' | 'reader-gone';

/** Makes a write to the output and returns what the write returned (e.g. around a status line on the same terminal). */
export type WriteWrapper = <T>(write: () => T) => T;

/** What a run ends and reports on. */
export interface TraceParts {
  session: Session;
  /** Where the events or tables go. */
  out: NodeJS.WritableStream;
  /** The command of `-- COMMAND`, held until the capture runs. */
  held: HeldCommand | undefined;
  /** The live status line, when stderr is a terminal and not --quiet. */
  statusLine: StatusLine | undefined;
}

/** The run of one trace, from listen() to exitStatus(). */
export class TraceRun {
  /** Why the trace ended; 'command' until something else ends it. */
  private stop: StopReason = 'command';
  /** A failure of the trace itself (output not writable, capture broken): reported, exit status 1. */
  private failure: unknown;
  /** After the first output error: nothing more is written, and nothing is flushed. */
  private closed = false;
  /** The signal passed on to the command, if one was. */
  private forwarded: NodeJS.Signals | undefined;
  private ended = false;
  /** A signal came after the trace ended: the output is not waited for any more. */
  private signalledAfterEnd = false;
  private feed: ColumnFeed | undefined;
  private readonly onEnd: (() => void)[] = [];
  private cancelTimer: () => void = () => undefined;
  private resolveStopped: () => void = () => undefined;
  private nextSignal: (() => void) | undefined;
  /** Settles when the trace is told to end: also wakes a writer waiting for a reader that no longer reads. */
  readonly stopped = new Promise<void>((resolve) => (this.resolveStopped = resolve));

  constructor(private readonly parts: TraceParts) {}

  /** True after the first output error: writers then write nothing more. */
  get outputClosed(): boolean {
    return this.closed;
  }

  /** Feeds the session's batches to a writer or an aggregation; resumed for the final drain at the end. */
  attach(feed: ColumnFeed): void {
    this.feed = feed;
  }

  /** Calls `callback` once the trace ends, after the session's last batch (e.g. to stop a timer). */
  whenEnded(callback: () => void): void {
    this.onEnd.push(callback);
  }

  /**
   * Ends the trace: stops the status line, then closes the session, whose final drain hands the
   * events still in the rings to the feed (taken again if it was paused). Idempotent.
   */
  readonly finish = (): void => {
    if (this.ended) return;
    this.ended = true;
    this.cancelTimer();
    this.parts.statusLine?.stop();
    this.feed?.resume();
    this.parts.session.close();
    this.feed?.end();
    for (const callback of this.onEnd) callback();
    this.resolveStopped();
  };

  /** Ends the trace because of --count or --duration: the command, if any, is then stopped, status 0. */
  readonly finishAtLimit = (): void => {
    if (this.stop === 'command') this.stop = 'limit';
    this.finish();
  };

  /** Ends the trace because it failed (exit status 1); the first failure is the one reported. */
  readonly fail = (error: unknown): void => {
    this.failure ??= error;
    this.finish();
  };

  private readonly onSignal = (received: NodeJS.Signals) => {
    this.nextSignal?.();
    // A signal while the output is flushed after the trace ended changes nothing but the waiting.
    if (this.ended) this.signalledAfterEnd = true;
    else this.stop = 'signal';
    // The command in its own group did not get the terminal's signal: pass it on.
    if (this.parts.held?.kill(received)) this.forwarded = received;
    this.finish();
  };

  /** An error of the output stream (also reported by the write callbacks, as the same error). */
  readonly onOutputError = (error: unknown): void => {
    if (this.closed) return; // the first error says why; later writes fail because of it
    this.closed = true;
    if (isReaderGone(error))
      this.stop = 'reader-gone'; // e.g. `| head` has read enough
    else this.failure ??= new OutputWriteError(error);
    this.finish();
  };

  /** Erases the status line before Node prints an uncaught error (main.ts prints it, then exits). */
  private readonly clearStatus = () => {
    this.parts.statusLine?.stop();
  };

  /** Installs what ends the trace: signals, output errors, the duration, the command's exit. */
  listen(durationSeconds: number | undefined): void {
    // on, not once: the probe clean-up sees another listener and leaves the exit to us.
    for (const name of FORWARDED_SIGNALS) process.on(name, this.onSignal);
    process.prependListener('uncaughtException', this.clearStatus);
    process.prependListener('unhandledRejection', this.clearStatus);
    this.parts.out.on('error', this.onOutputError);
    if (durationSeconds) this.cancelTimer = setLongTimeout(this.finishAtLimit, durationSeconds * 1000);
    void this.parts.held?.exited.then(this.finish);
  }

  /**
   * Waits until the trace has ended, writes `closing` (an aggregation's last table), and flushes the
   * output: always after a command's end or a limit, and after a signal only when there is a table
   * to deliver (until a second signal says stop waiting: the reader may never read again). There is
   * nobody to flush to after a closed pipe. `settle` (a store's close) is awaited first; what it
   * throws is the run's failure. Then reports the failure, if any, and the summary on stderr.
   */
  async conclude(closing: () => string, summary: () => string, settle?: () => Promise<void>): Promise<void> {
    await this.stopped;
    // A store's last rows are written after the session's final drain, before the summary counts them.
    await settle?.().catch((error: unknown) => {
      this.failure ??= error;
    });
    const table = this.closed ? '' : closing();
    if (table !== '') this.parts.out.write(table);
    const wanted = this.stop === 'command' || this.stop === 'limit' || table !== '';
    const flush = wanted && !this.closed && !this.signalledAfterEnd;
    if (flush) {
      const interrupted = new Promise<void>((resolve) => (this.nextSignal = resolve));
      await Promise.race([flushed(this.parts.out), interrupted]);
    }
    for (const name of FORWARDED_SIGNALS) process.off(name, this.onSignal);
    process.off('uncaughtException', this.clearStatus);
    process.off('unhandledRejection', this.clearStatus);
    if (this.failure !== undefined) process.stderr.write(describeFailure(this.failure));
    process.stderr.write(`${summary()}\n`);
  }

  /**
   * The exit status (see failure.ts). A limit, a closed pipe or a failure may end the trace before
   * the command: the command is stopped (after a forwarded signal, given the same time to end).
   */
  async exitStatus(): Promise<number> {
    const status = this.failure === undefined ? 0 : EXIT_TRACE_FAILED;
    const held = this.parts.held;
    if (held === undefined) return status;
    const commandStatus = await stopCommand(held, this.forwarded !== undefined);
    // The command's status when it ended the trace or took the signal; 0 when we ended it.
    const commandDecides = this.failure === undefined && (this.stop === 'command' || this.stop === 'signal');
    return commandDecides ? commandStatus : status;
  }
}
