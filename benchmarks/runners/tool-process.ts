/**
 * A peer tool (perf, bpftrace) run as a reader: pinned to the reader CPU, under rusage-exec so
 * its final CPU time and peak RSS are known, with its own CPU readable while it runs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { basename, join } from 'node:path';

import {
  type CpuTime,
  type ProcCpu,
  type ToolUsage,
  cpuSince,
  ownCpu,
  parseToolUsage,
  readProcCpu,
} from '../measure.js';
import { childrenOf, collectOutput, findDescendant, pollUntil } from '../processes.js';
import { READER_CPU } from '../workload.js';
import type { RunResult } from './types.js';

/** CPU and memory of a finished tool. */
export interface ToolCost {
  usage: ToolUsage;
  /** Own CPU over its whole life (children it reaped excluded). */
  cpuTotal: CpuTime;
  /** Own CPU since markReady(). */
  cpuSinceReady: CpuTime;
}

/** One run of a tool. */
export class ToolProcess {
  /** The rusage-exec wrapper; the tool is its only child. */
  readonly wrapper: ChildProcess;
  readonly output: { stdout: () => string; stderr: () => string };
  private readonly usageFile: string;
  private readonly exited: Promise<void>;
  private readonly timer: NodeJS.Timeout;
  private timedOut = false;
  private cpuAtReady: ProcCpu | undefined;

  constructor(
    rusageExecPath: string,
    workDir: string,
    private readonly name: string,
    command: readonly string[],
    timeoutMs: number,
  ) {
    this.usageFile = join(workDir, `${name}.rusage.json`);
    this.wrapper = spawn('taskset', ['-c', String(READER_CPU), rusageExecPath, this.usageFile, ...command], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.output = collectOutput(this.wrapper);
    this.exited = new Promise((resolve) =>
      this.wrapper.once('exit', () => {
        resolve();
      }),
    );
    // Killing only the wrapper would orphan the tool: on timeout both go, by pid.
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.kill();
    }, timeoutMs);
  }

  /** The tool's pid once the wrapper has forked it. */
  get toolPid(): number | undefined {
    return this.wrapper.pid === undefined ? undefined : childrenOf(this.wrapper.pid)[0];
  }

  /** True while the wrapper (and so the tool) runs. */
  get running(): boolean {
    return this.wrapper.exitCode === null && this.wrapper.signalCode === null;
  }

  /** Notes the tool's CPU time now: the capture window starts here. */
  markReady(): void {
    const pid = this.toolPid;
    const cpu = pid === undefined ? undefined : readProcCpu(pid);
    if (cpu === undefined) throw new Error('the tool exited before it was ready');
    this.cpuAtReady = cpu;
  }

  /** Asks the tool to stop the way Ctrl-C would (the wrapper forwards SIGINT). */
  interrupt(): void {
    if (this.running) this.wrapper.kill('SIGINT');
  }

  /** Kills the wrapper and the tool, by pid. */
  kill(): void {
    const tool = this.toolPid;
    if (tool !== undefined) {
      try {
        process.kill(tool, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (this.running) this.wrapper.kill('SIGKILL');
  }

  /** Waits for the tool to exit (bounded by the constructor's timeout) and returns its cost. */
  async finish(): Promise<ToolCost> {
    await this.exited;
    clearTimeout(this.timer);
    if (this.timedOut) throw new Error(`${this.name} did not finish in time (killed)`);
    const usage = parseToolUsage(this.usageFile);
    const cpuTotal = ownCpu(usage);
    if (this.cpuAtReady === undefined) throw new Error(`${this.name} finished without markReady()`);
    return { usage, cpuTotal, cpuSinceReady: cpuSince(this.cpuAtReady, cpuTotal) };
  }
}

/** The reader figures of a run result, from a finished tool's cost. */
export function readerFigures(
  cost: ToolCost,
): Pick<RunResult, 'readerCpuSeconds' | 'readerCpu' | 'readerCpuTotalSeconds' | 'peakRssKb'> {
  return {
    readerCpuSeconds: cost.cpuSinceReady.user + cost.cpuSinceReady.sys,
    readerCpu: cost.cpuSinceReady,
    readerCpuTotalSeconds: cost.cpuTotal.user + cost.cpuTotal.sys,
    peakRssKb: cost.usage.maxRssKb,
  };
}

/**
 * For a tool that starts the generator itself (bpftrace -c, the CLI's --): waits until the
 * generator appears under the tool (its one readiness signal), marks the tool ready, opens the
 * generator's gate and waits for the tool to finish. On failure kills the tool and, by its pid,
 * the generator, which would otherwise wait at its gate forever.
 */
export async function finishWithGenerator(tool: ToolProcess, name: string, loadgenPath: string): Promise<ToolCost> {
  let generatorPid: number | undefined;
  try {
    // A tool may compile or load a while first; on a busy machine that has taken seconds.
    generatorPid = await pollUntil(
      `${name} to get ready and start the generator`,
      () => {
        if (!tool.running) throw new Error(`${name} exited early: ${tool.output.stderr().trim().slice(-2000)}`);
        return findDescendant(tool.wrapper.pid!, basename(loadgenPath));
      },
      60_000,
    );
    tool.markReady();
    tool.wrapper.stdin!.end('g');
    return await tool.finish();
  } catch (error) {
    tool.kill();
    if (generatorPid !== undefined) {
      try {
        process.kill(generatorPid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    throw error;
  }
}

/** The generator's report among a tool's output lines: the lines that are JSON objects. */
export function generatorReport(output: string): string {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .join('\n');
}
