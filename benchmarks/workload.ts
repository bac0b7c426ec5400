/**
 * The producer side of a run: the load generator started gated, so a tracer can attach to its
 * pid before the first event, and released with one byte on its stdin. A scenario with a selected
 * share runs two generators on the producer CPU, released together, the selected one at nice 19.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { setPriority } from 'node:os';

import { type LoadgenReport, parseLoadgenReport } from '../test/helpers/programs.js';
import { collectOutput, waitForExit } from './processes.js';
import type { Scenario } from './scenarios.js';

/** The CPU the producer runs on; readers run on the other one (see READER_CPU). */
export const PRODUCER_CPU = 1;
/** The CPU every reader (our child runner, perf, bpftrace) is pinned to. */
export const READER_CPU = 0;

/** The load generator's arguments for `count` events of a scenario, with or without the start gate. */
export function loadgenArgs(scenario: Scenario, gate: boolean, count = scenario.count): string[] {
  const args = [scenario.mode, String(count), '--cpu', String(PRODUCER_CPU)];
  if (scenario.rate !== undefined) args.push('--rate', String(scenario.rate));
  if (gate) args.push('--gate');
  return args;
}

/**
 * What the load made: one generator's report, or for a scenario with a selected share the two
 * combined (events and CPU summed, seconds of the longer one, as both start at the release, pid
 * of the main one), with the selected generator's own report.
 */
export interface ProducerReport extends LoadgenReport {
  selected?: LoadgenReport;
}

/**
 * The nice value of the selected generator: CFS gives a nice-19 task 15/1039 of a CPU shared with
 * a nice-0 one (~1.4%), close to its 1% of the calls, so its calls come in scheduler slices spread
 * over the flood rather than all at the start (where they would only measure the reader's start).
 */
const SELECTED_NICE = 19;

/** One generator process waiting at its gate. */
class Generator {
  readonly child: ChildProcess;
  private readonly output: ReturnType<typeof collectOutput>;

  /** Settles when the child's output pipes are closed too: 'exit' can come before the last of it. */
  private readonly closed: Promise<void>;

  constructor(loadgenPath: string, args: string[], nice = 0) {
    this.child = spawn(loadgenPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.output = collectOutput(this.child);
    this.closed = new Promise((resolve) => {
      this.child.once('close', () => {
        resolve();
      });
    });
    // Set before the gate opens; it carries over the exec, should that still be under way.
    if (nice !== 0) setPriority(this.pid, nice);
  }

  get pid(): number {
    const pid = this.child.pid;
    if (pid === undefined) throw new Error('the load generator did not start');
    return pid;
  }

  async finish(timeoutMs: number): Promise<LoadgenReport> {
    const { code, signal } = await waitForExit(this.child, timeoutMs);
    // The report is the last line of its output, which a reader may not have had at 'exit' (a
    // bench run once failed parsing an empty one).
    await this.closed;
    if (code !== 0) throw new Error(`loadgen exited with ${signal ?? code}: ${this.output.stderr().trim()}`);
    return parseLoadgenReport(this.output.stdout());
  }

  abort(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** A scenario's load (one generator, or the main one and the selected one) waiting at its gate. */
export class GatedLoad {
  private readonly main: Generator;
  private readonly selected: Generator | undefined;

  constructor(loadgenPath: string, scenario: Scenario) {
    const selected = scenario.selected ?? 0;
    this.main = new Generator(loadgenPath, loadgenArgs(scenario, true, scenario.count - selected));
    this.selected =
      selected > 0 ? new Generator(loadgenPath, loadgenArgs(scenario, true, selected), SELECTED_NICE) : undefined;
  }

  /** The main generator's pid. */
  get pid(): number {
    return this.main.pid;
  }

  /** Every generator's pid: what a reader attaches to. */
  get pids(): number[] {
    return this.selected ? [this.main.pid, this.selected.pid] : [this.main.pid];
  }

  /**
   * The kernel filter that keeps only the selected generator's events: it has one thread, whose id
   * is its pid and the records' `common_pid`.
   */
  selectedPidFilter(): string {
    if (this.selected === undefined) throw new Error('this load has no selected generator to filter on');
    return `common_pid == ${this.selected.pid}`;
  }

  /** Releases the gates: the generators start producing now. */
  release(): void {
    for (const generator of this.generators()) generator.child.stdin!.end('g');
  }

  /** Waits for the generators to finish (at most `timeoutMs`) and returns their report. */
  async finish(timeoutMs: number): Promise<ProducerReport> {
    const [main, selected] = await Promise.all(this.generators().map((g) => g.finish(timeoutMs)));
    if (selected === undefined) return main!;
    return {
      mode: main!.mode,
      produced: main!.produced + selected.produced,
      seconds: Math.max(main!.seconds, selected.seconds),
      pid: main!.pid,
      userSeconds: main!.userSeconds + selected.userSeconds,
      systemSeconds: main!.systemSeconds + selected.systemSeconds,
      selected,
    };
  }

  /** Kills the generators that are still running (after a failed attach). */
  abort(): void {
    for (const generator of this.generators()) generator.abort();
  }

  private generators(): Generator[] {
    return this.selected ? [this.main, this.selected] : [this.main];
  }
}

/** Runs the scenario's load untraced and returns the generator's report. */
export async function runUntraced(loadgenPath: string, scenario: Scenario, timeoutMs: number): Promise<ProducerReport> {
  const load = new GatedLoad(loadgenPath, scenario);
  load.release();
  return load.finish(timeoutMs);
}
