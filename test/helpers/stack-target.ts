/** The stack fixture (test/fixtures/programs/stack_target.c): main → outer → inner → probe_me. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

import { buildProgram } from './programs.js';

/** The fixture, built as its comment says (frame pointers, nothing inlined, no PLT). */
export function stackTarget(): string {
  return buildProgram('test/fixtures/programs/stack_target.c', [
    '-O0',
    '-fno-omit-frame-pointer',
    '-fno-inline',
    '-fno-plt',
  ]);
}

/**
 * The fixture calling probe_me `calls` times, as a command that does not wait on stdin nor print.
 * Without LD_PRELOAD: under test:sanitize the ASan runtime would wrap its read() in frames of its own.
 */
export function stackTargetCommand(calls: number): string[] {
  return [
    'env',
    '-u',
    'LD_PRELOAD',
    'sh',
    '-c',
    'exec "$0" "$1" < /dev/null > /dev/null',
    stackTarget(),
    String(calls),
  ];
}

/** A running stack_target (waiting in probe_me) and the addresses it printed: outer, inner, probe_me, getpid. */
export interface Target {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly addresses: readonly bigint[];
}

/** Starts `binary` (a stack_target build) and waits for its line of addresses. */
export async function startTarget(binary: string): Promise<Target> {
  const child = spawn(binary, [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) resolve(text.slice(0, text.indexOf('\n')));
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      reject(new Error(`stack_target exited (${code ?? signal}) before printing its addresses`));
    });
  });
  return { child, pid: child.pid!, addresses: line.split(' ').map((word) => BigInt(word)) };
}

/** Lets the target leave probe_me and exit, and waits until it is reaped (gone from /proc). */
export async function stopTarget(target: Target): Promise<void> {
  const exited = target.child.exitCode !== null ? Promise.resolve() : once(target.child, 'exit');
  target.child.stdin!.end('x');
  await exited;
}
