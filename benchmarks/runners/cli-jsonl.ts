/**
 * The perf-bridge command line as a reader: `perf-bridge trace EVENT --format jsonl -- GENERATOR`
 * with its stdout redirected to a file, as a user would run it. It measures the whole CLI path:
 * capture, decoding, the compiled JSON-lines serializer and the file writes.
 *
 * The CLI starts the generator itself and holds it before its exec until the session is enabled,
 * so the generator's appearance under its own name is the readiness signal (as with bpftrace's
 * -c). The generator still waits at its gate, reading the byte from the stdin it inherits. Its
 * CPU lands in the CLI's rusage as a child's; rusage-exec's zombie reading leaves it out.
 */
import { createReadStream, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { parseLoadgenReport } from '../../test/helpers/programs.js';
import { GETPPID_TRACEPOINT, type Scenario, runTimeoutMs, uprobeDefinition } from '../scenarios.js';
import { loadgenArgs } from '../workload.js';
import { ToolProcess, finishWithGenerator, generatorReport, readerFigures } from './tool-process.js';
import type { RunContext, RunResult, Runner } from './types.js';

/** dist/cli/main.js of this checkout: the bench compiles to .test-build/benchmarks/runners. */
const CLI_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'dist', 'cli', 'main.js');

/** What the CLI traces for a scenario: the tracepoint, or the uprobe definition. */
function traceTarget(scenario: Scenario, loadgenPath: string): string {
  return scenario.mode === 'getppid' ? GETPPID_TRACEPOINT : uprobeDefinition(loadgenPath);
}

/** The figures of the CLI's summary line on stderr (`N events written, D delivered, L lost …`). */
export function parseCliSummary(stderr: string): { written: number; delivered: number; lost: number } {
  const match = /perf-bridge: (\d+) events written, (\d+) delivered, (\d+) lost/.exec(stderr);
  if (!match) throw new Error(`no summary line in the CLI's stderr: ${stderr.trim().slice(-2000)}`);
  return { written: Number(match[1]), delivered: Number(match[2]), lost: Number(match[3]) };
}

/** Counts the JSON lines of `path` whose event is `event` (the file holds nothing else). */
export async function countJsonLines(path: string, event: string): Promise<number> {
  const needle = `{"event":${JSON.stringify(event)},`;
  let lines = 0;
  let partial = '';
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const text = partial + (chunk as string);
    const end = text.lastIndexOf('\n');
    partial = text.slice(end + 1);
    for (let start = 0; start <= end; start = text.indexOf('\n', start) + 1) {
      if (text.startsWith(needle, start)) lines++;
    }
  }
  return lines;
}

/** The CLI writing JSON lines to a file, as a runner. */
export const cliJsonlRunner: Runner = {
  id: 'cli-jsonl',
  label: 'pb cli jsonl',
  unavailable: () => (process.getuid?.() === 0 ? undefined : 'needs root for perf_event_open on tracepoints'),
  run: runCliJsonl,
};

async function runCliJsonl(scenario: Scenario, context: RunContext): Promise<RunResult> {
  const timeoutMs = runTimeoutMs(scenario);
  const outFile = join(context.workDir, `cli-jsonl-${scenario.id}.jsonl`);
  const event = scenario.mode === 'getppid' ? GETPPID_TRACEPOINT : 'uprobe_pb_target';
  // Run by its shebang, as the installed command is: that sets the CLI's V8 flags.
  const trace = [CLI_SCRIPT, 'trace', traceTarget(scenario, context.loadgenPath), '--format', 'jsonl'];
  const generator = [context.loadgenPath, ...loadgenArgs(scenario, true)];
  // `exec` keeps the CLI the wrapper's only child; the redirection is the user's `> FILE`.
  const command = ['sh', '-c', `exec "$@" > '${outFile}'`, 'sh', ...trace, '--', ...generator];
  const tool = new ToolProcess(context.rusageExecPath, context.workDir, `cli-jsonl-${scenario.id}`, command, timeoutMs);
  try {
    const cost = await finishWithGenerator(tool, 'the CLI', context.loadgenPath);
    // The generator's stdout goes to the CLI's stderr, beside the CLI's own summary.
    const stderr = tool.output.stderr();
    const report = generatorReport(stderr);
    if (cost.usage.exitCode !== 0 || report === '') {
      throw new Error(`the CLI failed (${cost.usage.exitCode}): ${stderr.trim().slice(-2000)}`);
    }
    const summary = parseCliSummary(stderr);
    const delivered = await countJsonLines(outFile, event);
    const notes: string[] = [];
    if (delivered !== summary.written) notes.push(`file holds ${delivered} lines, CLI says ${summary.written}`);
    return {
      runner: 'cli-jsonl',
      scenario: scenario.id,
      producer: parseLoadgenReport(report),
      delivered,
      lostKernel: summary.lost,
      ...readerFigures(cost),
      notes,
    };
  } finally {
    rmSync(outFile, { force: true });
  }
}
