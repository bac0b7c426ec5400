/** Running the built `perf-bridge` command from tests, as a user would (build first: npm run build). */
import { type ChildProcess, type StdioOptions, execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { PROJECT_ROOT } from '../helpers/fixtures.js';

/** The CLI's entry point, run as the installed command is: by its shebang (build makes it executable). */
export const CLI = join(PROJECT_ROOT, 'dist', 'cli', 'main.js');

/** execFile as a promise: rejects with `code`, `stdout` and `stderr` when the program fails. */
export const runProgram = promisify(execFile);

/** Parses a JSON line keeping 64-bit integers exact (they are printed as plain digits). */
export function parseLine(line: string): Record<string, unknown> {
  return JSON.parse(line.replace(/:(\d{16,})/g, ':"$1"')) as Record<string, unknown>;
}

/** How a CLI run ended. */
export interface CliResult {
  /** The exit status, or null when a signal killed the CLI. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The CLI's pid (its probe groups are named perfbridge_<pid>_<n>). */
  pid: number;
}

/** A running CLI. */
export interface CliProcess {
  child: ChildProcess;
  /** stderr so far. */
  stderr: () => string;
  /** Resolves with the first match of `pattern` in stderr; rejects after `timeoutMs`. */
  waitForStderr: (pattern: RegExp, timeoutMs?: number) => Promise<RegExpExecArray>;
  /** Resolves once the CLI has exited and its output is read. */
  done: Promise<CliResult>;
}

/** Spawn options of {@link startCli}. */
export interface StartOptions {
  /** stdout: collected (default), read and dropped, left unread (a pipe that fills up), or a file descriptor. */
  stdout?: 'collect' | 'drop' | 'unread' | number;
  env?: NodeJS.ProcessEnv;
}

/** Starts the CLI with stdin closed (so a command gets its own process group) and stderr collected. */
export function startCli(args: string[], options: StartOptions = {}): CliProcess {
  const mode = options.stdout ?? 'collect';
  const stdio: StdioOptions = ['ignore', typeof mode === 'number' ? mode : 'pipe', 'pipe'];
  const child = spawn(CLI, args, { stdio, env: options.env ?? process.env });
  let stdout = '';
  let stderr = '';
  if (mode === 'collect') child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  if (mode === 'drop') child.stdout!.resume();
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      resolve({ code, signal, stdout, stderr, pid: child.pid! });
    });
  });
  const waitForStderr = (pattern: RegExp, timeoutMs = 10_000) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(stderr);
        if (!match) return false;
        clearTimeout(timer);
        child.stderr!.off('data', check);
        resolve(match);
        return true;
      };
      const timer = setTimeout(() => {
        child.stderr!.off('data', check);
        reject(new Error(`no ${pattern} on stderr within ${timeoutMs} ms; stderr: ${stderr}`));
      }, timeoutMs);
      if (!check()) child.stderr!.on('data', check);
    });
  return { child, stderr: () => stderr, waitForStderr, done };
}

/** Runs the CLI to its end; never rejects for a failing status (the result says how it ended). */
export function runCli(args: string[], options: StartOptions = {}): Promise<CliResult> {
  return startCli(args, options).done;
}

/** Runs the CLI, sends SIGINT after `ms`, and returns how it ended. */
export async function interruptAfter(args: string[], ms: number, stdout: StartOptions['stdout'] = 'drop') {
  const cli = startCli(args, { stdout });
  await new Promise((resolve) => setTimeout(resolve, ms));
  cli.child.kill('SIGINT');
  return cli.done;
}

/** True when no process has `pid` any more (not even a zombie). */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as { code?: string }).code === 'ESRCH';
  }
}
