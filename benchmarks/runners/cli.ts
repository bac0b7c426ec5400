/**
 * The perf-bridge command line as a reader, as a user would run it, in two set-ups:
 *
 * - `cli-jsonl`: `perf-bridge trace EVENT --format jsonl -- GENERATOR > FILE`, the whole path of
 *   capture, decoding, the compiled JSON-lines serializer and the file writes;
 * - `pb-duckdb`: `perf-bridge trace EVENT --db FILE -- GENERATOR`, capture and columnar decoding,
 *   then the store's copies and DuckDB's appends on its worker thread (in the same process, so its
 *   CPU counts), until the database is closed;
 * - `pb-nats`: `perf-bridge trace EVENT --nats URL -- GENERATOR` publishing Arrow record batches to
 *   a JetStream server started for the run, until every batch is acknowledged; the events are
 *   counted by collecting the stream into a database afterwards.
 *
 * The CLI starts the generator itself and holds it before its exec until the session is enabled,
 * so the generator's appearance under its own name is the readiness signal (as with bpftrace's
 * -c). The generator still waits at its gate, reading the byte from the stdin it inherits. Its
 * CPU lands in the CLI's rusage as a child's; rusage-exec's zombie reading leaves it out.
 */
import { createReadStream, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { collect } from '../../src/ship/index.js';
import { loadDuckDB } from '../../src/store/duckdb-module.js';
import { tableNames } from '../../src/store/table-schema.js';
import { NatsCluster } from '../../test/helpers/nats-cluster.js';
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

/**
 * The figures of the CLI's summary line on stderr: `N events written, D delivered, L lost …`, or
 * with --db `N events stored in FILE (run R[, S the store could not take]), D delivered, L lost …`.
 */
export function parseCliSummary(stderr: string): { written: number; delivered: number; lost: number } {
  const match =
    /perf-bridge: (\d+) events (?:written|stored in .* \(run \d+(?:, \d+ the store could not take)?\)|published to \S+?(?:, \d+ not acknowledged \(.*\))?), (\d+) delivered, (\d+) lost/.exec(
      stderr,
    );
  if (!match) throw new Error(`no summary line in the CLI's stderr: ${stderr.trim().slice(-2000)}`);
  return { written: Number(match[1]), delivered: Number(match[2]), lost: Number(match[3]) };
}

/** The rows the database at `path` holds for `event`. */
async function countStoredRows(path: string, event: string): Promise<number> {
  const { api } = loadDuckDB();
  const instance = await api.DuckDBInstance.create(path);
  try {
    const connection = await instance.connect();
    const [table] = tableNames([event]);
    const reader = await connection.runAndReadAll(`SELECT count(*) FROM ${table!}`);
    connection.closeSync();
    return Number((reader.getRowsJS() as [bigint][])[0]![0]);
  } finally {
    instance.closeSync();
  }
}

/** A CLI runner's destination for one run: the trace options that send the events there, and their count. */
interface OpenSink {
  /** The trace options, and the shell redirection of its stdout (`''`: none). */
  options: string[];
  redirect: string;
  /** The events of `event` that arrived. */
  count(event: string): Promise<number>;
  /** Removes what the run left (files, a server). */
  close(): void;
}

/** Where a CLI runner sends the events. */
interface CliSink {
  id: 'cli-jsonl' | 'pb-duckdb' | 'pb-nats';
  /** Readies a destination; `base` is a path prefix for its files. */
  open(base: string): Promise<OpenSink>;
}

/** Removes `path` and DuckDB's write-ahead log beside it. */
function removeDatabase(path: string): void {
  rmSync(path, { force: true });
  rmSync(`${path}.wal`, { force: true });
}

const JSONL_SINK: CliSink = {
  id: 'cli-jsonl',
  open: (base) => {
    const file = `${base}.jsonl`;
    const close = () => {
      rmSync(file, { force: true });
    };
    return Promise.resolve({
      options: ['--format', 'jsonl'],
      redirect: ` > '${file}'`,
      count: (event) => countJsonLines(file, event),
      close,
    });
  },
};

const DUCKDB_SINK: CliSink = {
  id: 'pb-duckdb',
  open: (base) => {
    const file = `${base}.duckdb`;
    return Promise.resolve({
      options: ['--db', file],
      redirect: '',
      count: (event) => countStoredRows(file, event),
      close: () => {
        removeDatabase(file);
      },
    });
  },
};

/**
 * A single JetStream server started for the run; the count collects the stream into a database
 * afterwards (the collection is not part of the measured reader).
 */
const NATS_SINK: CliSink = {
  id: 'pb-nats',
  open: async (base) => {
    // At nice 19: on this 2-core machine the server stands in for a remote cluster.
    const server = await NatsCluster.start(1, 19);
    const file = `${base}-collected.duckdb`;
    return {
      options: ['--nats', server.urls[0]!, '--host', 'bench'],
      redirect: '',
      count: async (event) => {
        await collect(server.urls, file, { idleSeconds: 1 });
        return countStoredRows(file, event);
      },
      close: () => {
        server.stop();
        removeDatabase(file);
      },
    };
  },
};

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

const unavailable = () => (process.getuid?.() === 0 ? undefined : 'needs root for perf_event_open on tracepoints');

/** The CLI writing JSON lines to a file, as a runner. */
export const cliJsonlRunner: Runner = {
  id: 'cli-jsonl',
  label: 'pb cli jsonl',
  unavailable,
  run: (scenario, context) => runCli(JSONL_SINK, scenario, context),
};

/** The CLI storing into a DuckDB database (`trace --db`), as a runner. */
export const cliDuckdbRunner: Runner = {
  id: 'pb-duckdb',
  label: 'pb cli duckdb',
  unavailable,
  run: (scenario, context) => runCli(DUCKDB_SINK, scenario, context),
};

/** The CLI publishing to a local JetStream server (`trace --nats`), as a runner. */
export const cliNatsRunner: Runner = {
  id: 'pb-nats',
  label: 'pb cli nats',
  peer: 'nats-server',
  unavailable,
  run: (scenario, context) => runCli(NATS_SINK, scenario, context),
};

async function runCli(sink: CliSink, scenario: Scenario, context: RunContext): Promise<RunResult> {
  const timeoutMs = runTimeoutMs(scenario);
  const destination = await sink.open(join(context.workDir, `${sink.id}-${scenario.id}`));
  const event = scenario.mode === 'getppid' ? GETPPID_TRACEPOINT : 'uprobe_pb_target';
  const { options, redirect } = destination;
  // Run by its shebang, as the installed command is: that sets the CLI's V8 flags.
  const trace = [CLI_SCRIPT, 'trace', traceTarget(scenario, context.loadgenPath), ...options];
  const generator = [context.loadgenPath, ...loadgenArgs(scenario, true)];
  // `exec` keeps the CLI the wrapper's only child; a redirection is the user's `> FILE`.
  const command = ['sh', '-c', `exec "$@"${redirect}`, 'sh', ...trace, '--', ...generator];
  const tool = new ToolProcess(
    context.rusageExecPath,
    context.workDir,
    `${sink.id}-${scenario.id}`,
    command,
    timeoutMs,
  );
  try {
    const cost = await finishWithGenerator(tool, 'the CLI', context.loadgenPath);
    // The generator's stdout goes to the CLI's stderr, beside the CLI's own summary.
    const stderr = tool.output.stderr();
    const report = generatorReport(stderr);
    if (cost.usage.exitCode !== 0 || report === '') {
      throw new Error(`the CLI failed (${cost.usage.exitCode}): ${stderr.trim().slice(-2000)}`);
    }
    const summary = parseCliSummary(stderr);
    const delivered = await destination.count(event);
    const notes: string[] = [];
    if (delivered !== summary.written) notes.push(`file holds ${delivered} events, CLI says ${summary.written}`);
    return {
      runner: sink.id,
      scenario: scenario.id,
      producer: parseLoadgenReport(report),
      delivered,
      lostKernel: summary.lost,
      ...readerFigures(cost),
      notes,
    };
  } finally {
    destination.close();
  }
}
