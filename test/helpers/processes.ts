/** Child-process helpers for tests that generate kernel events. */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

/** Resolves with the child's stdout once it exits 0; rejects with its stderr otherwise. */
export function exited(child: ChildProcess): Promise<string> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`${child.spawnargs.join(' ')} exited with ${code ?? signal}: ${stderr}`));
    });
  });
}

/** Starts a gated load generator (waiting for a byte on stdin); `open()` lets it run. */
export function spawnGated(
  binary: string,
  args: string[],
): { child: ChildProcess; open: () => void; done: Promise<string> } {
  const child = spawn(binary, [...args, '--gate'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const done = exited(child);
  return { child, done, open: () => child.stdin.end('go') };
}

/** True once the process is a zombie or gone (it has finished producing events). */
export function hasFinished(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** Blocks this thread (and so the event loop) until `pid` finishes or `timeoutMs` passes. */
export function blockUntilFinished(pid: number, timeoutMs: number): void {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + timeoutMs;
  while (!hasFinished(pid) && Date.now() < deadline) Atomics.wait(cell, 0, 0, 2);
}

/** The open file descriptors of this process. */
export function openFds(): string[] {
  return readdirSync('/proc/self/fd');
}
