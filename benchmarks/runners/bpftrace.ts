/**
 * bpftrace as a reader: one printf per event with the same fields perf-bridge decodes, formatted
 * by bpftrace into a file.
 *
 * bpftrace starts the generator itself (-c): it runs the command only after every probe is
 * attached, which is the one readiness signal it gives (its BEGIN probe fires before the others
 * are attached, and its output to a file is block-buffered). The generator still waits at its
 * gate, reading the byte from the stdin it inherits through the wrapper and bpftrace. Since the
 * generator is bpftrace's child here, its CPU lands in bpftrace's rusage; rusage-exec's zombie
 * reading takes it out again. bpftrace exits when the command does, after draining its buffers.
 */
import { createReadStream, rmSync } from 'node:fs';
import { join } from 'node:path';

import { parseLoadgenReport } from '../../test/helpers/programs.js';
import { type Scenario, UPROBE_SYMBOL, runTimeoutMs } from '../scenarios.js';
import { loadgenArgs } from '../workload.js';
import { ToolProcess, finishWithGenerator, generatorReport, readerFigures } from './tool-process.js';
import type { RunContext, RunResult, Runner } from './types.js';

/** The bpftrace program printing what perf-bridge delivers for the scenario's event. */
export function bpftraceProgram(scenario: Scenario, loadgenPath: string): string {
  if (scenario.mode === 'getppid') {
    return (
      'tracepoint:syscalls:sys_enter_getppid /pid == cpid/ ' +
      '{ printf("%d %d %d %llu %d\\n", pid, tid, cpu, nsecs, args->__syscall_nr); }'
    );
  }
  return (
    `uprobe:${loadgenPath}:${UPROBE_SYMBOL} /pid == cpid/ ` +
    '{ printf("%d %d %d %llu %s %d\\n", pid, tid, cpu, nsecs, str(arg0), arg1); }'
  );
}

/** Event lines and reported losses in bpftrace's output. */
export interface BpftraceOutput {
  lines: number;
  lost: number;
}

/** Counts event lines (they start with the pid) and sums "Lost N events" messages. */
export async function countBpftraceOutput(path: string): Promise<BpftraceOutput> {
  let lines = 0;
  let lost = 0;
  let partial = '';
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const text = partial + (chunk as string);
    const end = text.lastIndexOf('\n');
    partial = text.slice(end + 1);
    let start = 0;
    while (start <= end) {
      const newline = text.indexOf('\n', start);
      const code = text.charCodeAt(start);
      if (code >= 48 && code <= 57) lines++;
      else if (text.startsWith('Lost ', start))
        lost += Number(/^Lost (\d+)/.exec(text.slice(start, newline))?.[1] ?? 0);
      start = newline + 1;
    }
  }
  return { lines, lost };
}

/** bpftrace printing a line per event, as a runner. */
export const bpftraceRunner: Runner = {
  id: 'bpftrace',
  label: 'bpftrace',
  peer: 'bpftrace',
  run: runBpftrace,
};

async function runBpftrace(scenario: Scenario, context: RunContext): Promise<RunResult> {
  const timeoutMs = runTimeoutMs(scenario);
  const outFile = join(context.workDir, `bpftrace-${scenario.id}.out`);
  const workload = [context.loadgenPath, ...loadgenArgs(scenario, true)].join(' ');
  const command = ['bpftrace', '-o', outFile, '-e', bpftraceProgram(scenario, context.loadgenPath), '-c', workload];
  const tool = new ToolProcess(context.rusageExecPath, context.workDir, `bpftrace-${scenario.id}`, command, timeoutMs);
  try {
    const cost = await finishWithGenerator(tool, 'bpftrace', context.loadgenPath);
    const report = generatorReport(tool.output.stdout());
    if (cost.usage.exitCode !== 0 || report === '') {
      throw new Error(`bpftrace failed (${cost.usage.exitCode}): ${tool.output.stderr().trim().slice(-2000)}`);
    }
    const output = await countBpftraceOutput(outFile);
    return {
      runner: 'bpftrace',
      scenario: scenario.id,
      producer: parseLoadgenReport(report),
      delivered: output.lines,
      lostKernel: output.lost,
      ...readerFigures(cost),
      notes: [],
    };
  } finally {
    rmSync(outFile, { force: true });
  }
}
