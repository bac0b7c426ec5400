/**
 * A command started held before its exec, so that a tracer can open perf events on its pid (with
 * enable_on_exec and inherit) first: the events then start exactly at the exec and follow every
 * descendant, and nothing the command does is missed or preceded by the tracer's own set-up.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import type { Stream } from 'node:stream';
import { isatty } from 'node:tty';

import { quoteInput } from '../errors.js';
import { CommandError, checkArgv, checkCwd, checkRunnable } from './command-check.js';

/** Where one of the command's standard streams goes, as in child_process.spawn. */
export type CommandStdio = 'inherit' | 'ignore' | 'pipe' | number | Stream;

/** Options of {@link startHeldCommand}. */
export interface HeldCommandOptions {
  /** The directory the command starts in; this process's by default. */
  cwd?: string | undefined;
  /** The command's environment (its PATH is where the command is looked up); this process's by default. */
  env?: NodeJS.ProcessEnv | undefined;
  /** stdin, stdout and stderr of the command, or one value for all three; 'inherit' by default. */
  stdio?: CommandStdio | readonly [CommandStdio, CommandStdio, CommandStdio] | undefined;
  /**
   * Whether the command gets its own process group (and session), so that {@link HeldCommand.kill}
   * reaches its descendants too. By default it does, unless its stdin is this process's terminal:
   * then it must stay in the terminal's foreground group to read it (and Ctrl-C reaches it).
   */
  ownGroup?: boolean | undefined;
}

/** How the command ended. */
export interface CommandExit {
  /** The exit code, or null when a signal ended it. */
  code: number | null;
  /** The signal that ended it, or null when it exited. */
  signal: NodeJS.Signals | null;
  /** The status a shell reports: the code, or 128 + the signal's number. */
  status: number;
}

/** Options of {@link HeldCommand.stop}. */
export interface StopOptions {
  /** The signal that asks the command to end; null when it was already sent one. SIGTERM by default. */
  signal?: NodeJS.Signals | null | undefined;
  /** How long the command may take to end before SIGKILL, in milliseconds; 2000 by default. */
  graceMs?: number | undefined;
}

/** A command started by {@link startHeldCommand}, waiting for {@link HeldCommand.release} to exec. */
export interface HeldCommand {
  /**
   * The command's pid: the holding shell's until the exec, the command's after (exec keeps the
   * pid). Open the perf events on it with enableOnExec (and inherit) before {@link release}.
   */
  readonly pid: number;
  /** The child process (its stdio streams are here when `stdio` was 'pipe'). */
  readonly child: ChildProcess;
  /** Whether the command has its own process group: signals then go to the whole group. */
  readonly ownGroup: boolean;
  /** Whether {@link release} was called. */
  readonly released: boolean;
  /** How the command ended, once it has (when {@link exited} has resolved); undefined before. */
  readonly exit: CommandExit | undefined;
  /**
   * Resolves when the command (or, if it ended before the release, the shell holding it) has
   * ended; never rejects. Ended before the release, the shell reports status 1 for a release
   * that can never come (this process closed the gate), or the signal that killed it.
   */
  readonly exited: Promise<CommandExit>;
  /** Lets the command exec. Calling it again does nothing. */
  release(): void;
  /** Sends `signal` (SIGTERM by default) to the command, its group when it has one; false if it has ended. */
  kill(signal?: NodeJS.Signals): boolean;
  /** Asks the command to end (see {@link StopOptions}), SIGKILLs it after the grace time, resolves with its exit. */
  stop(options?: StopOptions): Promise<CommandExit>;
}

/** How long {@link HeldCommand.stop} waits after its signal before SIGKILL. */
const DEFAULT_GRACE_MS = 2000;

/**
 * The holding shell: it waits for a line on fd 3 (the gate), then execs the command with fd 3
 * closed. `read` fails at end of file, so a gate closed unreleased (this process died) exits 1.
 */
const HOLD_SCRIPT = 'read -r _ <&3 && exec "$@" 3<&-';

function stdioOf(stdio: HeldCommandOptions['stdio']): [CommandStdio, CommandStdio, CommandStdio] {
  if (stdio === undefined) return ['inherit', 'inherit', 'inherit'];
  if (Array.isArray(stdio)) return [...(stdio as readonly [CommandStdio, CommandStdio, CommandStdio])];
  const one = stdio as CommandStdio;
  return [one, one, one];
}

/** Whether the command's stdin is this process's terminal (see {@link HeldCommandOptions.ownGroup}). */
function readsOurTerminal(stdin: CommandStdio): boolean {
  if (stdin === 'inherit') return isatty(0);
  return typeof stdin === 'number' && isatty(stdin);
}

function exitOf(code: number | null, signal: NodeJS.Signals | null): CommandExit {
  return { code, signal, status: code ?? 128 + (signal ? osConstants.signals[signal] : 0) };
}

/** {@link HeldCommand} over the shell that holds the command. */
class HeldShell implements HeldCommand {
  readonly exited: Promise<CommandExit>;
  private releasedYet = false;
  private ended: CommandExit | undefined;

  constructor(
    readonly child: ChildProcess,
    readonly pid: number,
    readonly ownGroup: boolean,
    private readonly gate: NodeJS.WritableStream,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.ended = exitOf(code, signal);
        resolve(this.ended);
      });
    });
  }

  get released(): boolean {
    return this.releasedYet;
  }

  get exit(): CommandExit | undefined {
    return this.ended;
  }

  release(): void {
    if (this.releasedYet) return;
    this.releasedYet = true;
    this.gate.end('\n');
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    // Once reaped, the pid may belong to another process: never signal it again.
    if (this.ended !== undefined || this.child.exitCode !== null || this.child.signalCode !== null) return false;
    try {
      process.kill(this.ownGroup ? -this.pid : this.pid, signal);
      return true;
    } catch {
      return false;
    }
  }

  async stop(options: StopOptions = {}): Promise<CommandExit> {
    const signal = options.signal === undefined ? 'SIGTERM' : options.signal;
    if (signal !== null) this.kill(signal);
    const killer = setTimeout(() => this.kill('SIGKILL'), options.graceMs ?? DEFAULT_GRACE_MS);
    try {
      return await this.exited;
    } finally {
      clearTimeout(killer);
    }
  }
}

/**
 * Starts `argv` (program first) held before its exec: nothing of the command runs until
 * {@link HeldCommand.release}. Checks first that the program exists and is executable (looked up
 * in the PATH of `options.env` as exec would) and that `cwd` is a directory, so that a command
 * that cannot run fails here, before a trace is set up for it, with the status a shell would give.
 *
 * Until the release, the process is a shell (`/bin/sh`, comm `sh`) waiting on a pipe; it execs
 * the command when released, and exits 1 without running it if this process goes away first.
 *
 * @throws {@link OptionError} (option `command`) when `argv` is not a non-empty list of strings;
 *   {@link CommandError} when the program is not found (exitStatus 127) or not executable (126),
 *   when `cwd` is no directory, or when the system refuses a new process.
 */
export function startHeldCommand(argv: readonly string[], options: HeldCommandOptions = {}): HeldCommand {
  checkArgv(argv);
  if (options.cwd !== undefined) checkCwd(options.cwd);
  checkRunnable(argv[0]!, { path: (options.env ?? process.env).PATH, cwd: options.cwd });
  const stdio = stdioOf(options.stdio);
  const ownGroup = options.ownGroup ?? !readsOurTerminal(stdio[0]);
  const child = spawn('/bin/sh', ['-c', HOLD_SCRIPT, 'perf-bridge', ...argv], {
    stdio: [...stdio, 'pipe'],
    detached: ownGroup,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.env === undefined ? {} : { env: options.env }),
  });
  // Spawn failures arrive as an 'error' event after this returns; the missing pid says so now.
  child.on('error', () => undefined);
  if (child.pid === undefined) {
    throw new CommandError(`cannot start ${quoteInput(argv[0]!)}: the system refused a new process`, {
      code: 'COMMAND_NOT_STARTED',
      hint: 'the process or memory limits are reached (ulimit -u, /proc/sys/kernel/pid_max); try again',
    });
  }
  const gate = child.stdio[3] as NodeJS.WritableStream;
  // A shell that died before the release closes the gate: its exit is what reports that.
  gate.on('error', () => undefined);
  return new HeldShell(child, child.pid, ownGroup, gate);
}
