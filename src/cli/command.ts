/** The command that `trace -- COMMAND` runs: checked, started held before its exec, signalled, stopped. */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';

import { CommandNotRunnableError } from './failure.js';

/** A started command, waiting for `release()` to exec. */
export interface HeldCommand {
  child: ChildProcess;
  /** Whether the command has its own process group (signals go to the whole group). */
  group: boolean;
  /** Lets the command exec. */
  release: () => void;
  /**
   * The command's exit status as a shell reports it (128 + the signal's number when a signal
   * killed it); rejects with the spawn error when the shell that holds it could not start.
   */
  exit: Promise<number>;
}

/** How long a command may take to end after SIGTERM (or a forwarded signal) before SIGKILL. */
const STOP_GRACE_MS = 2000;

function runnable(path: string): 'yes' | 'missing' | 'not executable' {
  try {
    if (statSync(path).isDirectory()) return 'not executable';
    accessSync(path, fsConstants.X_OK);
    return 'yes';
  } catch (error) {
    return (error as { code?: string }).code === 'ENOENT' ? 'missing' : 'not executable';
  }
}

/**
 * Fails early, with a hint, when `name` is not something `exec` can run: the shell that holds the
 * command would otherwise only say "not found" after the trace was set up. Searches PATH as the
 * shell's `exec` does when the name has no slash.
 */
export function checkRunnable(name: string): void {
  const candidates = name.includes('/')
    ? [name]
    : (process.env.PATH ?? '/usr/bin:/bin').split(':').map((dir) => join(dir || '.', name));
  let found = false;
  for (const path of candidates) {
    const state = runnable(path);
    if (state === 'yes') return;
    if (state === 'not executable') found = true;
  }
  if (found) {
    throw new CommandNotRunnableError(`cannot run ${JSON.stringify(name)}: it is not an executable file`, {
      exitStatus: 126,
      hint: 'give a program (chmod +x it if it is a script), or run a shell: -- sh -c "..."',
    });
  }
  const where = name.includes('/') ? 'no such file' : 'not found in PATH';
  throw new CommandNotRunnableError(`cannot run ${JSON.stringify(name)}: ${where}`, {
    exitStatus: 127,
    hint: 'check the command name, or give its full path',
  });
}

/**
 * Starts `command` held before exec: a shell waits for a line on fd 3, then execs the command with
 * fd 3 closed. The command's stdout goes to our stderr, so stdout carries JSON lines only. Events
 * are opened on the shell's pid with enable_on_exec, so they start exactly at the exec and follow
 * every descendant. Unless stdin is a terminal (where the command must stay in the foreground to
 * read it), the command gets its own process group, so that stopping it reaches its descendants.
 */
export function spawnHeld(command: readonly string[]): HeldCommand {
  const group = !process.stdin.isTTY;
  const child = spawn('/bin/sh', ['-c', 'read -r _ <&3 && exec "$@" 3<&-', 'perf-bridge', ...command], {
    stdio: ['inherit', process.stderr, 'inherit', 'pipe'],
    detached: group,
  });
  const gate = child.stdio[3] as NodeJS.WritableStream;
  // A shell that died before the release closes the gate: its exit is what reports that.
  gate.on('error', () => undefined);
  return { child, group, release: () => gate.end('\n'), exit: exitStatus(child) };
}

/** See {@link HeldCommand.exit}. */
function exitStatus(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      resolve(code ?? 128 + (signal ? osConstants.signals[signal] : 0));
    });
  });
}

/** Sends `signal` to the command (its whole group when it has one); false if it is gone. */
export function signalCommand(held: HeldCommand, signal: NodeJS.Signals): boolean {
  const { child } = held;
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return false;
  try {
    process.kill(held.group ? -child.pid : child.pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stops the command and resolves with its exit status (127 when it could not start): SIGTERM
 * unless a signal was already passed on to it, then as long as STOP_GRACE_MS to end before SIGKILL.
 */
export async function stopCommand(held: HeldCommand, alreadySignalled: boolean): Promise<number> {
  if (!alreadySignalled) signalCommand(held, 'SIGTERM');
  const killer = setTimeout(() => signalCommand(held, 'SIGKILL'), STOP_GRACE_MS);
  const status = await held.exit.catch(() => 127);
  clearTimeout(killer);
  return status;
}
