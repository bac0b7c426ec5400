/** `perf-bridge trace`: capture events and write JSON lines until a limit, the command, or a signal. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { constants as osConstants } from 'node:os';

import { PerfBridgeError } from '../errors.js';
import { type Session, openSession } from '../session/session.js';
import type { TraceCommand } from './args.js';
import { eventToJsonLine } from './jsonl.js';

/**
 * Starts `command` held before exec: a shell waits for a line on fd 3, then execs the command with
 * fd 3 closed. Events are opened on the shell's pid with enable_on_exec, so they start exactly at
 * the exec and follow every descendant.
 */
function spawnHeld(command: string[]): { child: ChildProcess; release: () => void } {
  const child = spawn('/bin/sh', ['-c', 'read -r _ <&3 && exec "$@" 3<&-', 'perf-bridge', ...command], {
    stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
  });
  const gate = child.stdio[3] as NodeJS.WritableStream;
  return { child, release: () => gate.end('\n') };
}

function summary(session: Session, written: number): string {
  const stats = session.stats();
  const perCpu = Object.entries(stats.lost.perCpu)
    .map(([cpu, lost]) => `cpu${cpu} ${lost}`)
    .join(', ');
  return `perf-bridge: ${written} events written, ${stats.delivered} delivered, ${stats.lost.total} lost (${perCpu}), ${stats.decodeErrors} decode errors`;
}

/** Runs the trace command; resolves with the process exit code. */
export async function runTrace(options: TraceCommand, out: NodeJS.WritableStream = process.stdout): Promise<number> {
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
  const finish = () => session.close();
  const finishAtLimit = () => {
    if (state.stop === 'command') state.stop = 'limit';
    finish();
  };
  const onSignal = () => {
    state.stop = 'signal';
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
      if (chunk.length > 0 && state.stop !== 'pipe' && !out.write(chunk)) await once(out, 'drain');
      if (remaining === 0) finishAtLimit();
    }
  } finally {
    clearTimeout(timer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    finish();
  }
  process.stderr.write(`${summary(session, written)}\n`);
  if (held) {
    // A limit or a signal ended the trace before the command: stop the command we started.
    if (held.child.exitCode === null && held.child.signalCode === null) held.child.kill('SIGTERM');
    const code = await childExit!.catch(() => 127);
    return state.stop === 'command' ? code : 0;
  }
  return 0;
}
