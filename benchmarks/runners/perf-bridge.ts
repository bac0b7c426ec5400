/**
 * perf-bridge, object and columnar mode: each run starts child-capture.js in its own node process
 * pinned to the reader CPU, attached to a gated generator, and collects the child's report. The
 * filtered runner sets `common_pid == <selected generator>` on the tracepoint (openSession's
 * `{ event, filter }`), so the kernel drops the other generator's records before the ring.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { waitForExit } from '../processes.js';
import { GETPPID_TRACEPOINT, type Scenario, UPROBE_LABEL, runTimeoutMs, uprobeDefinition } from '../scenarios.js';
import { GatedLoad, READER_CPU } from '../workload.js';
import type { CaptureConfig, CaptureReport } from './child-capture.js';
import type { RunContext, RunResult, Runner, RunnerId } from './types.js';

const CHILD_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'child-capture.js');

/** Latency is sampled on every n-th event: enough samples, negligible cost (see LatencySampler). */
const LATENCY_STRIDE = 8;

/** What the child captures for a scenario, with `filter` on the tracepoint when given. */
function captureTarget(
  scenario: Scenario,
  loadgenPath: string,
  filter: string | undefined,
): Pick<CaptureConfig, 'events' | 'probes'> {
  if (scenario.mode === 'call') return { probes: { [UPROBE_LABEL]: uprobeDefinition(loadgenPath) } };
  return { events: [filter === undefined ? GETPPID_TRACEPOINT : { event: GETPPID_TRACEPOINT, filter }] };
}

/** Reads JSON lines from the child's stdout and resolves each wanted message type once. */
class ChildMessages {
  private buffered = '';
  private readonly seen = new Map<string, Record<string, unknown>>();
  private readonly waiters = new Map<string, (message: Record<string, unknown>) => void>();

  constructor(stream: NodeJS.ReadableStream) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      this.buffered += chunk;
      let newline: number;
      while ((newline = this.buffered.indexOf('\n')) >= 0) {
        const line = this.buffered.slice(0, newline);
        this.buffered = this.buffered.slice(newline + 1);
        if (!line.startsWith('{')) continue;
        const message = JSON.parse(line) as Record<string, unknown>;
        const type = String(message.type);
        this.seen.set(type, message);
        this.waiters.get(type)?.(message);
      }
    });
  }

  /** The first message of `type`; rejects after `timeoutMs` or when `exited` settles first. */
  async wait(type: string, timeoutMs: number, exited: Promise<unknown>): Promise<Record<string, unknown>> {
    const already = this.seen.get(type);
    if (already) return already;
    let timer: NodeJS.Timeout | undefined;
    const message = new Promise<Record<string, unknown>>((resolve) => this.waiters.set(type, resolve));
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`no ${type} message from the capture child within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    const gone = exited.then((): never => {
      throw new Error(`the capture child exited before its ${type} message`);
    });
    try {
      return await Promise.race([message, deadline, gone]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The runner id of a mode, with or without the kernel filter. */
function runnerId(mode: CaptureConfig['mode'], filtered: boolean): RunnerId {
  if (mode === 'columnar') return 'pb-columnar';
  return filtered ? 'pb-object-filter' : 'pb-object';
}

/**
 * A perf-bridge capture mode as a runner; `filtered`: with a kernel filter keeping only the
 * selected generator's events (for scenarios that have one).
 */
export function perfBridgeRunner(mode: CaptureConfig['mode'], filtered = false): Runner {
  const id = runnerId(mode, filtered);
  return {
    id,
    label: `pb ${mode}${filtered ? ' + filter' : ''}`,
    ...(filtered ? { kernelFilter: true } : {}),
    unavailable: () => (process.getuid?.() === 0 ? undefined : 'needs root for perf_event_open on tracepoints'),
    run: (scenario, context) => runPerfBridge(id, mode, filtered, scenario, context),
  };
}

async function runPerfBridge(
  id: RunnerId,
  mode: CaptureConfig['mode'],
  filtered: boolean,
  scenario: Scenario,
  context: RunContext,
): Promise<RunResult> {
  const timeoutMs = runTimeoutMs(scenario);
  const load = new GatedLoad(context.loadgenPath, scenario);
  const filter = filtered ? load.selectedPidFilter() : undefined;
  const config: CaptureConfig = {
    mode,
    pid: load.pids,
    ...captureTarget(scenario, context.loadgenPath, filter),
    ...(scenario.stack === undefined ? {} : { stack: scenario.stack }),
    latencyStride: LATENCY_STRIDE,
    timeoutMs,
  };
  const nodeFlags = context.cpuProfileDir
    ? [
        '--cpu-prof',
        '--cpu-prof-interval=100',
        `--cpu-prof-dir=${context.cpuProfileDir}`,
        `--cpu-prof-name=${id}-${scenario.id}.cpuprofile`,
      ]
    : [];
  const child = spawn(
    'taskset',
    ['-c', String(READER_CPU), process.execPath, ...nodeFlags, CHILD_SCRIPT, JSON.stringify(config)],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const messages = new ChildMessages(child.stdout);
  const exited = waitForExit(child, timeoutMs + 30_000);
  exited.catch(() => {
    // A timeout is reported through the waits below.
  });
  try {
    await messages.wait('ready', 30_000, exited);
    load.release();
    const producer = await load.finish(timeoutMs);
    child.stdin.write('stop\n');
    const result = (await messages.wait('result', 30_000, exited)) as unknown as CaptureReport & { error?: string };
    await exited;
    const notes: string[] = [];
    if (result.error) notes.push(`capture child: ${result.error}`);
    if (result.consumed !== result.delivered)
      notes.push(`consumer saw ${result.consumed} of ${result.delivered} delivered events`);
    if (result.decodeErrors > 0) notes.push(`${result.decodeErrors} decode errors`);
    return {
      runner: id,
      scenario: scenario.id,
      producer,
      ...(filter === undefined ? {} : { filter, expected: producer.selected?.produced ?? 0 }),
      delivered: result.delivered,
      lostKernel: result.lostKernel,
      readerCpuSeconds: result.cpuUs / 1e6,
      readerCpu: { user: result.cpuUserUs / 1e6, sys: result.cpuSysUs / 1e6 },
      readerCpuTotalSeconds: result.cpuTotalUs / 1e6,
      peakRssKb: result.peakRssKb,
      latency: result.latency,
      threads: result.threads,
      decodeErrors: result.decodeErrors,
      notes,
    };
  } catch (error) {
    load.abort();
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}${stderr ? `; child stderr: ${stderr.trim().slice(-2000)}` : ''}`);
  }
}
