/**
 * Process helpers for the benchmark: bounded waits, polling, and finding a process's children.
 * Everything here acts on pids this benchmark started; nothing looks processes up by name.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** How a child ended. */
export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * Resolves when `child` exits. After `timeoutMs` the child is killed (SIGKILL, by its pid) and
 * the promise rejects, so no wait in the benchmark can hang.
 */
export function waitForExit(child: ChildProcess, timeoutMs: number): Promise<ExitStatus> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`pid ${child.pid} did not exit within ${timeoutMs} ms (killed)`));
    }, timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

/** Polls `check` every `intervalMs` until it returns a value; rejects after `timeoutMs`. */
export async function pollUntil<T>(
  what: string,
  check: () => T | undefined,
  timeoutMs: number,
  intervalMs = 5,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Direct children of `pid` (from /proc/<pid>/task/<pid>/children); empty when it is gone. */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter((s) => s !== '')
      .map(Number);
  } catch {
    return [];
  }
}

/** The kernel's command name of `pid` (at most 15 characters), or undefined when it is gone. */
export function commOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The first process below `pid` (any depth, breadth first, bounded) whose comm is `comm`. */
export function findDescendant(pid: number, comm: string): number | undefined {
  const wanted = comm.slice(0, 15);
  let level = childrenOf(pid);
  for (let depth = 0; depth < 4 && level.length > 0; depth++) {
    const found = level.find((child) => commOf(child) === wanted);
    if (found !== undefined) return found;
    level = level.flatMap(childrenOf);
  }
  return undefined;
}

/** Collects a child's output streams as text. */
export function collectOutput(child: ChildProcess): { stdout: () => string; stderr: () => string } {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return { stdout: () => stdout, stderr: () => stderr };
}
