/** `perf-bridge trace`: capture events and write JSON lines until a limit, the command, or a signal. */
import { type ChildProcess, spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';

import { PerfBridgeError } from '../errors.js';
import { type Session, openSession } from '../session/session.js';
import type { TraceCommand } from './args.js';
import { eventToJsonLine } from './jsonl.js';
import { openOutput } from './output.js';

/**
 * Starts `command` held before exec: a shell waits for a line on fd 3, then execs the command with
 * fd 3 closed. The command's stdout goes to our stderr, so stdout carries JSON lines only. Events are opened on the shell's pid with enable_on_exec, so they start exactly at
 * the exec and follow every descendant. Unless stdin is a terminal (where the command must stay in
 * the foreground to read it), the command gets its own process group, so that stopping it
 * reaches its descendants too.
 */
function spawnHeld(command: string[]): { child: ChildProcess; release: () => void; group: boolean } {
  const group = !process.stdin.isTTY;
  const child = spawn('/bin/sh', ['-c', 'read -r _ <&3 && exec "$@" 3<&-', 'perf-bridge', ...command], {
    stdio: ['inherit', process.stderr, 'inherit', 'pipe'],
    detached: group,
  });
  const gate = child.stdio[3] as NodeJS.WritableStream;
  return { child, group, release: () => gate.end('\n') };
}

/** Sends `signal` to the command (its whole group when it has one); false if it is gone. */
function signalCommand(held: { child: ChildProcess; group: boolean }, signal: NodeJS.Signals): boolean {
  if (held.child.exitCode !== null || held.child.signalCode !== null || held.child.pid === undefined) return false;
  try {
    process.kill(held.group ? -held.child.pid : held.child.pid, signal);
    return true;
  } catch {
    return false;
  }
}

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

/** How long a command may take to end after SIGTERM (or a forwarded signal) before SIGKILL. */
const STOP_GRACE_MS = 2000;

function summary(session: Session, written: number): string {
  const stats = session.stats();
  const perCpu = Object.entries(stats.lost.perCpu)
    .map(([cpu, lost]) => `cpu${cpu} ${lost}`)
    .join(', ');
  return `perf-bridge: ${written} events written, ${stats.delivered} delivered, ${stats.lost.total} lost (${perCpu}), ${stats.decodeErrors} decode errors`;
}

/** Runs the trace command; resolves with the process exit code. */
export async function runTrace(options: TraceCommand, out: NodeJS.WritableStream = openOutput()): Promise<number> {
  const held = options.command ? spawnHeld(options.command) : undefined;
  let childExit: Promise<number> | undefined;
  if (held) {
    childExit = new Promise((resolve, reject) => {
      held.child.once('error', (error) => reject(new PerfBridgeError(`cannot run ${options.command![0]}: ${error.message}`, { hint: 'check the command name and PATH' })));
      held.child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? (osConstants.signals[signal] ?? 0) : 0)));
    });
  }
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
  let written = 0;
  // Why the trace ended: only when the command ended it does its exit status become ours.
  const state: { stop: 'command' | 'limit' | 'signal' | 'pipe' } = { stop: 'command' };
  let stopped!: () => void;
  const whenStopped = new Promise<void>((resolve) => (stopped = resolve));
  const finish = () => {
    session.close();
    stopped(); // also wakes a loop waiting for a reader that no longer reads
  };
  const finishAtLimit = () => {
    if (state.stop === 'command') state.stop = 'limit';
    finish();
  };
  let forwarded: NodeJS.Signals | undefined;
  let traceEnded = false;
  let signal!: () => void;
  const signalled = new Promise<void>((resolve) => (signal = resolve));
  const onSignal = (received: NodeJS.Signals) => {
    signal();
    // A signal while the output is flushed after the trace ended changes nothing but the waiting.
    if (!traceEnded) state.stop = 'signal';
    // The command in its own group did not get the terminal's signal: pass it on.
    if (held && signalCommand(held, received)) forwarded = received;
    finish();
  };
  // on, not once: the probe clean-up sees another listener and leaves the exit to us.
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  out.on('error', () => {
    state.stop = 'pipe'; // EPIPE: the reader went away (e.g. `| head`)
    finish();
  });
  const timer = options.durationSeconds ? setTimeout(finishAtLimit, options.durationSeconds * 1000) : undefined;
  childExit?.finally(finish).catch(() => undefined);

  session.start();
  held?.release();
  try {
    for await (const batch of session) {
      const take = Math.min(batch.length, remaining);
      let chunk = '';
      for (let i = 0; i < take; i++) chunk += `${eventToJsonLine(batch[i]!)}\n`;
      remaining -= take;
      written += take;
      if (chunk.length > 0 && state.stop !== 'pipe' && !out.write(chunk)) await writable(out, whenStopped);
      if (remaining === 0) finishAtLimit();
    }
  } finally {
    clearTimeout(timer);
    finish();
    traceEnded = true;
  }
  // Output still queued is flushed when the trace ended normally — unless a signal says stop
  // waiting (the reader may never read again); after a closed pipe there is nobody to flush to.
  if (state.stop === 'command' || state.stop === 'limit') {
    await Promise.race([new Promise<void>((resolve) => out.end(resolve)), signalled]);
  }
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.stderr.write(`${summary(session, written)}\n`);
  if (held) {
    // A limit or a closed pipe ended the trace before the command: stop the command we started
    // (after a forwarded signal, give it the same time to end), then insist.
    if (forwarded === undefined) signalCommand(held, 'SIGTERM');
    const killer = setTimeout(() => signalCommand(held, 'SIGKILL'), STOP_GRACE_MS);
    const code = await childExit!.catch(() => 127);
    clearTimeout(killer);
    // The command's status when it ended the trace or took the signal; 0 when we ended it.
    return state.stop === 'command' || state.stop === 'signal' ? code : 0;
  }
  return 0;
}
