/** What the numbers were measured on, recorded with every result. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { join } from 'node:path';

import { PROJECT_ROOT } from '../test/helpers/fixtures.js';
import type { PeerStatus, PeerTool } from './peers.js';

/** The machine and software versions. */
export interface MachineInfo {
  cpuModel: string;
  cores: number;
  kernel: string;
  node: string;
  perfBridge: string;
  /** The commit the bench ran on, with "+dirty" when the tree had changes; undefined outside git. */
  commit: string | undefined;
  /** `perf --version`, when perf is there. */
  perf: string | undefined;
  /** `bpftrace --version`, when bpftrace is there. */
  bpftrace: string | undefined;
  /** 1, 5 and 15 minute load averages when the bench started: a busy machine shows here. */
  loadAverageAtStart: number[];
}

function gitCommit(): string | undefined {
  try {
    const run = (args: string[]) =>
      execFileSync('git', args, {
        cwd: PROJECT_ROOT,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 10_000,
      }).trim();
    const head = run(['rev-parse', '--short', 'HEAD']);
    return run(['--no-optional-locks', 'status', '--porcelain']) === '' ? head : `${head}+dirty`;
  } catch {
    return undefined;
  }
}

/** Collects the machine facts; peer versions come from peers.ts. */
export function machineInfo(peers: Record<PeerTool, PeerStatus>): MachineInfo {
  const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string };
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    kernel: release(),
    node: process.version,
    perfBridge: pkg.version,
    commit: gitCommit(),
    perf: peers.perf.version,
    bpftrace: peers.bpftrace.version,
    loadAverageAtStart: loadavg().map((v) => Math.round(v * 100) / 100),
  };
}
