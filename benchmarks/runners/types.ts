/** What every capture runner takes and returns. */
import type { CpuTime, LatencySummary } from '../measure.js';
import type { PeerTool } from '../peers.js';
import type { Scenario } from '../scenarios.js';
import type { ProducerReport } from '../workload.js';

/**
 * The capture paths compared (perf-record-2m: perf record with perf-bridge's default ring size;
 * `-filter`: with a kernel filter keeping only the selected generator's events; cli-jsonl: the
 * perf-bridge command line writing JSON lines to a file; pb-duckdb: the command line storing into
 * a DuckDB database).
 */
export type RunnerId =
  | 'pb-object'
  | 'pb-object-filter'
  | 'pb-columnar'
  | 'perf-record'
  | 'perf-record-filter'
  | 'perf-record-2m'
  | 'bpftrace'
  | 'cli-jsonl'
  | 'pb-duckdb'
  | 'pb-nats';

/** Paths and settings shared by all runs of one bench invocation. */
export interface RunContext {
  loadgenPath: string;
  /** benchmarks/tools/rusage-exec.c, compiled. */
  rusageExecPath: string;
  /** A directory for this run's files, removed by the caller. */
  workDir: string;
  /** Where `node --cpu-prof` writes the child runner's profiles; undefined when not profiling. */
  cpuProfileDir: string | undefined;
}

/** The raw figures of one capture of one scenario; rates and ratios are derived in report.ts. */
export interface RunResult {
  runner: RunnerId;
  scenario: string;
  /** The generator's own report: events made and how long that took. */
  producer: ProducerReport;
  /** The kernel filter the reader set, when it set one. */
  filter?: string;
  /** Events the reader should get: those the filter keeps (default: every event produced). */
  expected?: number;
  /** Events that reached the consumer (callbacks, the perf.data file, bpftrace's output lines). */
  delivered: number;
  /** Events the kernel reported as dropped; null when the tool reports none at all. */
  lostKernel: number | null;
  /** The reader's user + sys CPU seconds from the gate's release until it finished. */
  readerCpuSeconds: number;
  /** The same split into user and system time. */
  readerCpu: CpuTime;
  /** The reader's user + sys CPU seconds including start-up and set-up. */
  readerCpuTotalSeconds: number;
  /** Peak resident set of the reader process in KiB (VmHWM or ru_maxrss). */
  peakRssKb: number | null;
  /** Event time to delivery, for perf-bridge (CLOCK_MONOTONIC on both ends). */
  latency?: LatencySummary;
  /** Reader CPU per thread over the window (perf-bridge), for finding where it goes. */
  threads?: { thread: string; user: number; sys: number }[];
  /** Records the decoder could not fully read (perf-bridge). */
  decodeErrors?: number;
  /** Anything a reader of the table should know about this run. */
  notes: string[];
}

/** One capture path. */
export interface Runner {
  id: RunnerId;
  /** Column heading in the table. */
  label: string;
  /** The peer tool this runner needs (its availability is checked by peers.ts). */
  peer?: PeerTool;
  /** Sets a kernel filter on the selected generator's pid: runs only where a scenario asks for it. */
  kernelFilter?: boolean;
  /** Why this runner cannot run here, or undefined when it can. */
  unavailable?(): string | undefined;
  run(scenario: Scenario, context: RunContext): Promise<RunResult>;
}
