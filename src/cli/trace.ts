/** `perf-bridge trace`: capture events and write JSON lines until a limit, the command, or a signal. */
import { constants as osConstants } from 'node:os';

import { PerfBridgeError } from '../errors.js';
import { type Session, openSession } from '../session/session.js';
import type { TraceCommand } from './args.js';
import { type HeldCommand, checkRunnable, signalCommand, spawnHeld } from './command.js';
import { EXIT_TRACE_FAILED, describeFailure } from './failure.js';
import { eventToJsonLine } from './jsonl.js';
import { setLongTimeout } from './long-timeout.js';
import { OutputWriteError } from './output-failure.js';
import { isReaderGone, openOutput } from './output.js';

/** The signals that end a trace and are passed on to the command, which then decides the exit status. */
const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** How long a command may take to end after SIGTERM (or a forwarded signal) before SIGKILL. */
const STOP_GRACE_MS = 2000;

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

/** The command's exit status as a shell reports it (128 + signal number when a signal killed it). */
function commandExit(held: HeldCommand, name: string): Promise<number> {
  return new Promise((resolve, reject) => {
    held.child.once('error', (error) => {
      reject(new PerfBridgeError(`cannot run ${name}: ${error.message}`, { hint: 'check the command name and PATH' }));
    });
    held.child.once('exit', (code, signal) => {
      resolve(code ?? 128 + (signal ? (osConstants.signals[signal] ?? 0) : 0));
    });
  });
}

function summary(session: Session, written: number): string {
  const stats = session.stats();
  const perCpu = Object.entries(stats.lost.perCpu)
    .map(([cpu, lost]) => `cpu${cpu} ${lost}`)
    .join(', ');
  return (
    `perf-bridge: ${written} events written, ${stats.delivered} delivered, ` +
    `${stats.lost.total} lost (${perCpu}), ${stats.decodeErrors} decode errors`
  );
}

/**
 * Runs the trace command; resolves with the process exit status (see failure.ts). Errors before
 * the capture starts are thrown; a failure while it runs is reported here, on stderr, with exit 1.
 */
export async function runTrace(options: TraceCommand, out: NodeJS.WritableStream = openOutput()): Promise<number> {
  if (options.command) checkRunnable(options.command[0]!);
  const held = options.command ? spawnHeld(options.command) : undefined;
  const childExit = held ? commandExit(held, options.command![0]!) : undefined;
  let session: Session;
  try {
    session = openSession({
      events: options.events,
      probes: options.probes,
      ringPages: options.ringPages,
      ...(held ? { pid: held.child.pid!, inherit: true, enableOnExec: true } : {}),
    });
  } catch (error) {
    held?.child.kill('SIGKILL');
    throw error;
  }
  let remaining = options.count ?? Infinity;
  // Lines the kernel took (counted in write callbacks): a summary never claims lines that were lost.
  let written = 0;
  let stop: StopReason = 'command';
  // A failure of the trace itself (output not writable, capture broken): reported, exit status 1.
  let failure: unknown;
  let outputClosed = false;
  let stopped!: () => void;
  const whenStopped = new Promise<void>((resolve) => (stopped = resolve));
  const finish = () => {
    session.close();
    stopped(); // also wakes a loop waiting for a reader that no longer reads
  };
  const finishAtLimit = () => {
    if (stop === 'command') stop = 'limit';
    finish();
  };
  let forwarded: NodeJS.Signals | undefined;
  let traceEnded = false;
  let signal!: () => void;
  const signalled = new Promise<void>((resolve) => (signal = resolve));
  const onSignal = (received: NodeJS.Signals) => {
    signal();
    // A signal while the output is flushed after the trace ended changes nothing but the waiting.
    if (!traceEnded) stop = 'signal';
    // The command in its own group did not get the terminal's signal: pass it on.
    if (held && signalCommand(held, received)) forwarded = received;
    finish();
  };
  // on, not once: the probe clean-up sees another listener and leaves the exit to us.
  for (const name of FORWARDED_SIGNALS) process.on(name, onSignal);
  out.on('error', (error) => {
    if (outputClosed) return; // the first error says why; later writes fail because of it
    outputClosed = true;
    if (isReaderGone(error))
      stop = 'reader-gone'; // e.g. `| head` has read enough
    else failure ??= new OutputWriteError(error);
    finish();
  });
  const cancelTimer = options.durationSeconds
    ? setLongTimeout(finishAtLimit, options.durationSeconds * 1000)
    : () => undefined;
  childExit?.finally(finish).catch(() => undefined);

  session.start();
  held?.release();
  try {
    for await (const batch of session) {
      const take = Math.min(batch.length, remaining);
      let chunk = '';
      for (let i = 0; i < take; i++) chunk += `${eventToJsonLine(batch[i]!)}\n`;
      remaining -= take;
      if (chunk.length > 0 && !outputClosed) {
        const accepted = out.write(chunk, (error) => {
          if (!error) written += take;
        });
        if (!accepted) await writable(out, whenStopped);
      }
      if (remaining === 0) finishAtLimit();
    }
  } catch (error) {
    failure ??= error;
  } finally {
    cancelTimer();
    finish();
    traceEnded = true;
  }
  // Output still queued is flushed when the trace ended normally — unless a signal says stop
  // waiting (the reader may never read again); after a closed pipe there is nobody to flush to.
  if (!outputClosed && (stop === 'command' || stop === 'limit')) await Promise.race([flushed(out), signalled]);
  for (const name of FORWARDED_SIGNALS) process.off(name, onSignal);
  if (failure !== undefined) process.stderr.write(describeFailure(failure));
  process.stderr.write(`${summary(session, written)}\n`);
  let status = failure === undefined ? 0 : EXIT_TRACE_FAILED;
  if (held) {
    // A limit, a closed pipe or a failure ended the trace before the command: stop the command we
    // started (after a forwarded signal, give it the same time to end), then insist.
    if (forwarded === undefined) signalCommand(held, 'SIGTERM');
    const killer = setTimeout(() => signalCommand(held, 'SIGKILL'), STOP_GRACE_MS);
    const code = await childExit!.catch(() => 127);
    clearTimeout(killer);
    // The command's status when it ended the trace or took the signal; 0 when we ended it.
    if (failure === undefined && (stop === 'command' || stop === 'signal')) status = code;
  }
  return status;
}
