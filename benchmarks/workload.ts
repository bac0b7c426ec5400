/**
 * The producer side of a run: the load generator started gated, so a tracer can attach to its
 * pid before the first event, and released with one byte on its stdin.
 */
import { type ChildProcess, spawn } from 'node:child_process';

import { type LoadgenReport, parseLoadgenReport } from '../test/helpers/programs.js';
import { collectOutput, waitForExit } from './processes.js';
import type { Scenario } from './scenarios.js';

/** The CPU the producer runs on; readers run on the other one (see READER_CPU). */
export const PRODUCER_CPU = 1;
/** The CPU every reader (our child runner, perf, bpftrace) is pinned to. */
export const READER_CPU = 0;

/** The load generator's arguments for a scenario, with or without the start gate. */
export function loadgenArgs(scenario: Scenario, gate: boolean): string[] {
  const args = [scenario.mode, String(scenario.count), '--cpu', String(PRODUCER_CPU)];
  if (scenario.rate !== undefined) args.push('--rate', String(scenario.rate));
  if (gate) args.push('--gate');
  return args;
}

/** A load generator waiting at its gate. */
export class GatedLoad {
  readonly child: ChildProcess;
  private readonly output: ReturnType<typeof collectOutput>;

  constructor(loadgenPath: string, scenario: Scenario) {
    this.child = spawn(loadgenPath, loadgenArgs(scenario, true), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.output = collectOutput(this.child);
  }

  get pid(): number {
    const pid = this.child.pid;
    if (pid === undefined) throw new Error('the load generator did not start');
    return pid;
  }

  /** Releases the gate: the generator starts producing now. */
  release(): void {
    this.child.stdin!.end('g');
  }

  /** Waits for the generator to finish (at most `timeoutMs`) and returns its report. */
  async finish(timeoutMs: number): Promise<LoadgenReport> {
    const { code, signal } = await waitForExit(this.child, timeoutMs);
    if (code !== 0) throw new Error(`loadgen exited with ${signal ?? code}: ${this.output.stderr().trim()}`);
    return parseLoadgenReport(this.output.stdout());
  }

  /** Kills the generator if it is still running (after a failed attach). */
  abort(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** Runs the scenario's load untraced and returns the generator's report. */
export async function runUntraced(loadgenPath: string, scenario: Scenario, timeoutMs: number): Promise<LoadgenReport> {
  const load = new GatedLoad(loadgenPath, scenario);
  load.release();
  return load.finish(timeoutMs);
}
