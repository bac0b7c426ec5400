/** `perf-bridge trace`: capture events and write JSON lines until a limit, the command, or a signal. */
import type { TraceEvent } from '../decode/records.js';
import { pipeReadersOf } from '../process/pipe-readers.js';
import { type Session, openSession } from '../session/session.js';
import type { TraceCommand } from './args.js';
import { type HeldCommand, startCommand, stopCommand } from './command.js';
import { EXIT_TRACE_FAILED, describeFailure } from './failure.js';
import { eventToJsonLine } from './jsonl.js';
import { setLongTimeout } from './long-timeout.js';
import { OutputWriteError } from './output-failure.js';
import { isReaderGone, openOutput } from './output.js';

/** The signals that end a trace and are passed on to the command, which then decides the exit status. */
const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Why the trace ended: only when the command ended it (or took a signal) does its status become ours. */
type StopReason = 'command' | 'limit' | 'signal' | 'reader-gone';

/** Resolves when `out` can take more, can take nothing ever again (error, close), or `stopped` settles. */
function writable(out: NodeJS.WritableStream, stopped: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('error', done);
      out.off('close', done);
      resolve();
    };
    out.on('drain', done);
    out.on('error', done);
    out.on('close', done);
    void stopped.then(done);
  });
}

/** Ends `out` and resolves once what was queued is written, or the stream failed or closed. */
function flushed(out: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    out.once('error', () => {
      resolve();
    });
    out.once('close', () => {
      resolve();
    });
    out.end(() => {
      resolve();
    });
  });
}

/** The `count` first events of `batch` as JSON lines. */
function jsonLines(batch: readonly TraceEvent[], count: number): string {
  let chunk = '';
  for (let i = 0; i < count; i++) chunk += `${eventToJsonLine(batch[i]!)}\n`;
  return chunk;
}

/**
 * Opens the session: on the held command and its descendants when there is one, else system-wide,
 * leaving out (unless told not to) this process and the processes reading its output, whose reads
 * of what we write would otherwise be traced in turn.
 */
function openTraceSession(options: TraceCommand, held: HeldCommand | undefined): Session {
  try {
    return openSession({
      events: options.events,
      probes: options.probes,
      ...(options.ringPages === undefined ? {} : { ringPages: options.ringPages }),
      ...(held ? { pid: held.pid, inherit: true, enableOnExec: true } : {}),
      excludeSelf: options.excludeSelf,
      excludePids: options.excludeSelf && !held ? pipeReadersOf(process.stdout.fd) : [],
    });
  } catch (error) {
    held?.kill('SIGKILL');
    throw error;
  }
}

/**
 * A trace while it runs: the handlers that end it (signals, an output error, the duration, the
 * command's exit), the writing of events, and what the summary and exit status need to know.
 */
class TraceRun {
  /** Why the trace ended; 'command' until something else ends it. */
  private stop: StopReason = 'command';
  /** A failure of the trace itself (output not writable, capture broken): reported, exit status 1. */
  private failure: unknown;
  /** After the first output error: later writes fail because of it, and nothing is flushed. */
  private outputClosed = false;
  /** Lines the kernel took (counted in write callbacks): a summary never claims lines that were lost. */
  private written = 0;
  /** The signal passed on to the command, if one was. */
  private forwarded: NodeJS.Signals | undefined;
  private traceEnded = false;
  private cancelTimer: () => void = () => undefined;
  private resolveStopped: () => void = () => undefined;
  private resolveSignalled: () => void = () => undefined;
  /** Settles when the trace is told to end: also wakes a loop waiting for a reader that no longer reads. */
  private readonly whenStopped = new Promise<void>((resolve) => (this.resolveStopped = resolve));
  /** Settles at the first signal: stops waiting for output to flush. */
  private readonly signalled = new Promise<void>((resolve) => (this.resolveSignalled = resolve));

  constructor(
    private readonly session: Session,
    private readonly out: NodeJS.WritableStream,
    private readonly held: HeldCommand | undefined,
  ) {}

  /** Ends the trace: closes the session, which ends the loop over its batches. */
  private readonly finish = () => {
    this.session.close();
    this.resolveStopped();
  };

  private readonly finishAtLimit = () => {
    if (this.stop === 'command') this.stop = 'limit';
    this.finish();
  };

  private readonly onSignal = (received: NodeJS.Signals) => {
    this.resolveSignalled();
    // A signal while the output is flushed after the trace ended changes nothing but the waiting.
    if (!this.traceEnded) this.stop = 'signal';
    // The command in its own group did not get the terminal's signal: pass it on.
    if (this.held?.kill(received)) this.forwarded = received;
    this.finish();
  };

  private readonly onOutputError = (error: unknown) => {
    if (this.outputClosed) return; // the first error says why; later writes fail because of it
    this.outputClosed = true;
    if (isReaderGone(error))
      this.stop = 'reader-gone'; // e.g. `| head` has read enough
    else this.failure ??= new OutputWriteError(error);
    this.finish();
  };

  /** Installs what ends the trace: signals, output errors, the duration, the command's exit. */
  listen(durationSeconds: number | undefined): void {
    // on, not once: the probe clean-up sees another listener and leaves the exit to us.
    for (const name of FORWARDED_SIGNALS) process.on(name, this.onSignal);
    this.out.on('error', this.onOutputError);
    if (durationSeconds) this.cancelTimer = setLongTimeout(this.finishAtLimit, durationSeconds * 1000);
    void this.held?.exited.then(this.finish);
  }

  /** Writes the session's events as JSON lines, at most `count` of them, until the trace ends. */
  async writeEvents(count: number): Promise<void> {
    let remaining = count;
    try {
      for await (const batch of this.session) {
        const take = Math.min(batch.length, remaining);
        remaining -= take;
        const chunk = jsonLines(batch, take);
        if (chunk.length > 0 && !this.outputClosed) {
          const accepted = this.out.write(chunk, (error) => {
            if (!error) this.written += take;
          });
          if (!accepted) await writable(this.out, this.whenStopped);
        }
        if (remaining === 0) this.finishAtLimit();
      }
    } catch (error) {
      this.failure ??= error;
    } finally {
      this.cancelTimer();
      this.finish();
      this.traceEnded = true;
    }
  }

  /**
   * Flushes output still queued when the trace ended normally — unless a signal says stop waiting
   * (the reader may never read again); after a closed pipe there is nobody to flush to. Then
   * removes the signal handlers and reports the failure, if any, and the summary on stderr.
   */
  async conclude(): Promise<void> {
    if (!this.outputClosed && (this.stop === 'command' || this.stop === 'limit')) {
      await Promise.race([flushed(this.out), this.signalled]);
    }
    for (const name of FORWARDED_SIGNALS) process.off(name, this.onSignal);
    if (this.failure !== undefined) process.stderr.write(describeFailure(this.failure));
    process.stderr.write(`${this.summary()}\n`);
  }

  private summary(): string {
    const stats = this.session.stats();
    const perCpu = Object.entries(stats.lost.perCpu)
      .map(([cpu, lost]) => `cpu${cpu} ${lost}`)
      .join(', ');
    return (
      `perf-bridge: ${this.written} events written, ${stats.delivered} delivered, ` +
      `${stats.lost.total} lost (${perCpu}), ${stats.decodeErrors} decode errors`
    );
  }

  /**
   * The exit status (see failure.ts). A limit, a closed pipe or a failure may end the trace before
   * the command: the command is stopped (after a forwarded signal, given the same time to end).
   */
  async exitStatus(): Promise<number> {
    const status = this.failure === undefined ? 0 : EXIT_TRACE_FAILED;
    if (this.held === undefined) return status;
    const commandStatus = await stopCommand(this.held, this.forwarded !== undefined);
    // The command's status when it ended the trace or took the signal; 0 when we ended it.
    const commandDecides = this.failure === undefined && (this.stop === 'command' || this.stop === 'signal');
    return commandDecides ? commandStatus : status;
  }
}

/**
 * Runs the trace command; resolves with the process exit status (see failure.ts). Errors before
 * the capture starts are thrown; a failure while it runs is reported here, on stderr, with exit 1.
 */
export async function runTrace(options: TraceCommand, out: NodeJS.WritableStream = openOutput()): Promise<number> {
  const held = options.command === undefined ? undefined : startCommand(options.command);
  const session = openTraceSession(options, held);
  const run = new TraceRun(session, out, held);
  run.listen(options.durationSeconds);
  session.start();
  held?.release();
  await run.writeEvents(options.count ?? Infinity);
  await run.conclude();
  return run.exitStatus();
}
