/**
 * Builds the C programs the tests drive (the load generator and friends). Binaries are cached
 * by source hash under build/test-programs, or under the temp dir when the project is read-only
 * (as inside the kernel VMs, which share the host's tree read-only).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, linkSync, mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { PROJECT_ROOT } from './fixtures.js';

function writableDir(): string {
  const inProject = join(PROJECT_ROOT, 'build', 'test-programs');
  try {
    mkdirSync(inProject, { recursive: true });
    accessSync(inProject, constants.W_OK);
    return inProject;
  } catch {
    const inTmp = join(tmpdir(), 'perf-bridge-test-programs');
    mkdirSync(inTmp, { recursive: true });
    return inTmp;
  }
}

/** Compiles `source` (relative to the project root) with -O2 once and returns the binary's path. */
export function buildProgram(source: string, extraFlags: string[] = []): string {
  const sourcePath = join(PROJECT_ROOT, source);
  const hash = createHash('sha256')
    .update(readFileSync(sourcePath))
    .update(extraFlags.join(' '))
    .digest('hex')
    .slice(0, 12);
  const name = `${source.split('/').pop()!.replace(/\.c$/, '')}-${hash}`;
  const prebuilt = join(PROJECT_ROOT, 'build', 'test-programs', name);
  if (existsSync(prebuilt)) return prebuilt;
  const dir = writableDir();
  const binary = join(dir, name);
  if (existsSync(binary)) return binary;
  const partial = `${binary}.${process.pid}.tmp`;
  execFileSync('cc', ['-O2', '-g', '-Wall', '-o', partial, sourcePath, ...extraFlags], { stdio: 'inherit' });
  // A link, not a rename: when another test process built it first, its binary (perhaps running,
  // its inode compared by a symbolizer) must stay the one at that path.
  try {
    linkSync(partial, binary);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(partial);
  }
  return binary;
}

/** The load generator of benchmarks/loadgen. */
export function loadgen(): string {
  return buildProgram('benchmarks/loadgen/loadgen.c');
}

/** What the load generator reports when it exits. */
export interface LoadgenReport {
  mode: string;
  produced: number;
  seconds: number;
  pid: number;
  /** The generator's own CPU time (getrusage), so a tool that started it can subtract it. */
  userSeconds: number;
  systemSeconds: number;
}

/** Parses the load generator's closing JSON line. */
export function parseLoadgenReport(stdout: string): LoadgenReport {
  const line = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as LoadgenReport;
}
