/**
 * Capture-path benchmark (issue 5): perf-bridge in object and columnar mode against perf record
 * and bpftrace, on the same exactly counted loads, plus decode microbenchmarks.
 *
 *   npm run bench [-- options]      (= build, then node .test-build/benchmarks/run.js)
 *
 * Progress goes to stderr, the table to stdout, every figure to benchmarks/results/.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { PROJECT_ROOT } from '../test/helpers/fixtures.js';
import { buildProgram, loadgen } from '../test/helpers/programs.js';
import { type DecodeFigure, decodeMicro } from './decode-micro.js';
import { machineInfo } from './machine.js';
import { median } from './measure.js';
import { ensurePeers } from './peers.js';
import { combineRuns } from './repeats.js';
import { type BenchReport, type ScenarioResult, renderReport, writeReport } from './report.js';
import { bpftraceRunner } from './runners/bpftrace.js';
import { cliDuckdbRunner, cliJsonlRunner, cliNatsRunner } from './runners/cli.js';
import { perfBridgeRunner } from './runners/perf-bridge.js';
import { sweepStaleProbes } from './runners/perf-probe.js';
import { perfRecordRunner } from './runners/perf-record.js';
import type { RunContext, RunResult, Runner } from './runners/types.js';
import { type Scenario, runTimeoutMs, scenarios } from './scenarios.js';
import { decodeTargets, scenarioTargets } from './targets.js';
import { READER_CPU, runUntraced } from './workload.js';

const USAGE = `usage: npm run bench -- [options]

Captures the same loads with perf-bridge (object, columnar), perf record and bpftrace; the
producer runs on CPU 1, every reader on CPU 0. Needs root.

options:
  --quick              small loads, one run each (about a minute)
  --repeat N           run each cell N times: medians with their min–max, targets checked on the
                       medians, delivered and lost from the worst run
  --only IDS           comma-separated scenario ids (${scenarios(false)
    .map((s) => s.id)
    .join(', ')})
  --runners IDS        comma-separated runners (pb-object, pb-object-filter, pb-columnar, perf-record,
                       perf-record-filter, perf-record-2m, bpftrace, cli-jsonl, pb-duckdb,
                       pb-nats; perf-record-2m is perf record -m with perf-bridge's default ring
                       size; the -filter ones run on getppid-filter only; cli-jsonl is
                       \`perf-bridge trace --format jsonl > FILE\`, pb-duckdb \`... --db FILE\`,
                       pb-nats \`... --nats URL\` to a JetStream server the bench starts)
  --no-decode          skip the decode microbenchmarks
  --no-install         do not apt-get install missing peers (their runs are skipped)
  --profile            write node --cpu-prof profiles of the perf-bridge children to results/profiles
  --results DIR        where the JSON goes (default benchmarks/results)
  -h, --help           this help`;

/** Every runner, in table order; a runner added later (the CLI's) goes in here and in RunnerId. */
const RUNNERS: Runner[] = [
  perfBridgeRunner('object', true),
  perfBridgeRunner('object'),
  perfBridgeRunner('columnar'),
  perfRecordRunner('filter'),
  perfRecordRunner('default'),
  perfRecordRunner('2m'),
  bpftraceRunner,
  cliJsonlRunner,
  cliDuckdbRunner,
  cliNatsRunner,
];

/** The chosen runners a scenario is measured with: those it names, else those without a filter. */
function runnersFor(scenario: Scenario, chosen: readonly Runner[]): Runner[] {
  const named = scenario.runners;
  if (named === undefined) return chosen.filter((runner) => runner.kernelFilter !== true);
  return named.flatMap((id) => chosen.filter((runner) => runner.id === id));
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function parseOptions() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      repeat: { type: 'string' },
      only: { type: 'string' },
      runners: { type: 'string' },
      'no-decode': { type: 'boolean', default: false },
      'no-install': { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      results: { type: 'string', default: join(PROJECT_ROOT, 'benchmarks', 'results') },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const repeat = Number(values.repeat ?? 1);
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 9) throw new Error('--repeat must be an integer from 1 to 9');
  const all = scenarios(values.quick);
  const only = values.only?.split(',');
  const unknown = only?.filter((id) => !all.some((s) => s.id === id));
  if (unknown?.length) throw new Error(`unknown scenario ${unknown.join(', ')}`);
  const runnerIds = values.runners?.split(',') ?? RUNNERS.map((r) => r.id);
  const badRunner = runnerIds.find((id) => !RUNNERS.some((r) => r.id === id));
  if (badRunner !== undefined) throw new Error(`unknown runner ${badRunner}`);
  return {
    quick: values.quick,
    repeat,
    scenarios: all.filter((s) => only === undefined || only.includes(s.id)),
    runners: RUNNERS.filter((r) => runnerIds.includes(r.id)),
    decode: !values['no-decode'],
    install: !values['no-install'],
    profile: values.profile,
    resultsDir: values.results,
  };
}

/** The untraced producer rate of a scenario: median of a few runs (one when paced). */
async function untracedRate(loadgenPath: string, scenario: Scenario): Promise<ScenarioResult['untraced']> {
  const runs = [];
  for (let i = 0; i < (scenario.rate === undefined ? 3 : 1); i++)
    runs.push(await runUntraced(loadgenPath, scenario, runTimeoutMs(scenario)));
  return { runs, rate: median(runs.map((r) => r.produced / r.seconds)) };
}

/** Runs one runner `repeat` times on a scenario. */
async function runCell(runner: Runner, scenario: Scenario, context: RunContext, repeat: number): Promise<RunResult[]> {
  const all: RunResult[] = [];
  for (let i = 0; i < repeat; i++) {
    const started = Date.now();
    const result = await runner.run(scenario, context);
    const delivered = `delivered ${result.delivered} of ${result.producer.produced}`;
    const cpu = `${result.readerCpuSeconds.toFixed(3)} s CPU`;
    const wall = `${((Date.now() - started) / 1000).toFixed(1)} s`;
    log(`  ${runner.label.padEnd(12)} ${delivered}, reader ${cpu} (${wall})`);
    all.push(result);
  }
  return all;
}

async function main(): Promise<void> {
  const options = parseOptions();
  const started = Date.now();
  if (process.getuid?.() !== 0)
    throw new Error('the benchmark needs root (perf_event_open on tracepoints, uprobes, perf, bpftrace)');
  // The orchestrator waits most of the time, but it must never take the producer's CPU.
  execFileSync('taskset', ['-a', '-p', '-c', String(READER_CPU), String(process.pid)], { stdio: 'ignore' });

  const peers = ensurePeers(options.install, log);
  const machine = machineInfo(peers);
  if (peers.perf.version) sweepStaleProbes();
  const workDir = mkdtempSync(join(tmpdir(), 'perf-bridge-bench-'));
  const cpuProfileDir = options.profile ? join(options.resultsDir, 'profiles') : undefined;
  if (cpuProfileDir) mkdirSync(cpuProfileDir, { recursive: true });
  const context: RunContext = {
    loadgenPath: loadgen(),
    rusageExecPath: buildProgram('benchmarks/tools/rusage-exec.c'),
    workDir,
    cpuProfileDir,
  };
  const exitOnSignal = () => process.exit(130); // runs the exit hooks that delete perf probes
  process.once('SIGINT', exitOnSignal);
  process.once('SIGTERM', exitOnSignal);

  const results: ScenarioResult[] = [];
  let decode: DecodeFigure[] = [];
  let decodeError: string | undefined;
  try {
    for (const scenario of options.scenarios) {
      log(`${scenario.id}: ${scenario.count} events${scenario.rate ? ` at ${scenario.rate}/s` : ''}`);
      const untraced = await untracedRate(context.loadgenPath, scenario);
      log(`  untraced    ${(untraced.rate / 1e6).toFixed(3)} M events/s`);
      const result: ScenarioResult = { scenario, untraced, runs: [], skipped: [], failed: [], checks: [], allRuns: [] };
      for (const runner of runnersFor(scenario, options.runners)) {
        const reason = (runner.peer === undefined ? undefined : peers[runner.peer].skipped) ?? runner.unavailable?.();
        if (reason) {
          result.skipped.push({ runner: runner.id, reason });
          continue;
        }
        try {
          const all = await runCell(runner, scenario, context, options.repeat);
          result.runs.push(combineRuns(all, untraced.rate));
          result.allRuns.push(...all);
        } catch (error) {
          log(`  ${runner.label} FAILED: ${(error as Error).message}`);
          result.failed.push({ runner: runner.id, error: (error as Error).message });
        }
      }
      result.checks = scenarioTargets(result.runs);
      results.push(result);
    }
    if (options.decode) {
      log('decode microbenchmarks');
      try {
        decode = await decodeMicro(context.loadgenPath, options.quick);
      } catch (error) {
        decodeError = (error as Error).message;
        log(`  FAILED: ${decodeError}`);
      }
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }

  const decodeChecks = decodeTargets(decode);
  const checks = [...results.flatMap((r) => r.checks), ...decodeChecks];
  const report: BenchReport = {
    startedAt: new Date(started).toISOString(),
    durationSeconds: (Date.now() - started) / 1000,
    quick: options.quick,
    repeat: options.repeat,
    machine,
    peers,
    scenarios: results,
    decode,
    decodeError,
    decodeChecks,
    loadAverageAtEnd: loadavg().map((v) => Math.round(v * 100) / 100),
    targets: {
      passed: checks.filter((c) => c.pass).length,
      missed: checks.filter((c) => !c.pass).length,
      misses: checks.filter((c) => !c.pass),
    },
  };
  process.stdout.write(`${renderReport(report)}\n`);
  const path = writeReport(options.resultsDir, report);
  log(`results: ${path} (and latest.json)`);
  // Missed targets are results; a runner or microbenchmark that could not run is an error.
  if (decodeError !== undefined || results.some((r) => r.failed.length > 0)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  log(`bench failed: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
