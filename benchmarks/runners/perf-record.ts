/**
 * perf record as a reader: attached to the gated generator's pid with its events disabled
 * (-D -1), enabled through its control FIFO, so the ack tells exactly when capture is on. perf
 * exits by itself once the traced process is gone, after writing what was left in its rings.
 * Samples and losses are counted afterwards (perf-data.ts; that CPU is not the reader's).
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { pollUntil } from '../processes.js';
import { GETPPID_TRACEPOINT, type Scenario, runTimeoutMs } from '../scenarios.js';
import { GatedLoad } from '../workload.js';
import { countSamples, perfStats } from './perf-data.js';
import { PerfUprobe } from './perf-probe.js';
import { ToolProcess, readerFigures } from './tool-process.js';
import type { RunContext, RunResult, Runner, RunnerId } from './types.js';
import { native } from '../../src/native.js';
import { onlineCpus } from '../../src/session/cpus.js';
import { defaultRingPages } from '../../src/session/options.js';

/** Opens a FIFO without blocking on its other end (O_RDWR never waits on Linux). */
function openFifo(path: string): number {
  execFileSync('mkfifo', [path]);
  return openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
}

/** Reads what is in a non-blocking FIFO now. */
function readFifo(fd: number): string {
  const buffer = Buffer.alloc(256);
  try {
    const n = readSync(fd, buffer, 0, buffer.length, null);
    return buffer.toString('utf8', 0, n);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return '';
    throw error;
  }
}

/** perf-bridge's default ring per CPU on this machine, in pages (perf's -m takes pages too). */
const SAME_RING_PAGES = defaultRingPages(onlineCpus().length, native().ringLayout.pageSize);

/** The label of the informational run with perf-bridge's ring size, e.g. `perf -m 8M`. */
export const SAME_RING_LABEL = `perf -m ${(SAME_RING_PAGES * native().ringLayout.pageSize) >> 20}M`;

/** Which perf record: its default ring, perf-bridge's default ring size, or the default with a filter. */
export type PerfRecordVariant = 'default' | '2m' | 'filter';

const PERF_RUNNER_IDS: Record<PerfRecordVariant, RunnerId> = {
  default: 'perf-record',
  '2m': 'perf-record-2m',
  filter: 'perf-record-filter',
};

/**
 * perf record with its default ring (512 KiB + 1 page per CPU), or with the ring perf-bridge uses
 * by default here, to tell ring size apart from reader speed, or with its default ring and
 * `--filter 'common_pid == <selected generator>'` (for scenarios that have one).
 */
export function perfRecordRunner(variant: PerfRecordVariant): Runner {
  const id = PERF_RUNNER_IDS[variant];
  return {
    id,
    label: variant === '2m' ? SAME_RING_LABEL : `perf record${variant === 'filter' ? ' + filter' : ''}`,
    peer: 'perf',
    ...(variant === 'filter' ? { kernelFilter: true } : {}),
    run: (scenario, context) =>
      runPerfRecord(
        id,
        { ringArgs: variant === '2m' ? ['-m', String(SAME_RING_PAGES)] : [], filtered: variant === 'filter' },
        scenario,
        context,
      ),
  };
}

/** How one perf record run differs from the default one. */
interface PerfRecordSettings {
  /** Extra arguments setting the ring size. */
  ringArgs: string[];
  /** Keep only the selected generator's events with `--filter`. */
  filtered: boolean;
}

async function runPerfRecord(
  id: RunnerId,
  settings: PerfRecordSettings,
  scenario: Scenario,
  context: RunContext,
): Promise<RunResult> {
  const probe = scenario.mode === 'call' ? new PerfUprobe(context.loadgenPath) : undefined;
  try {
    return await capture(id, settings, probe?.event ?? GETPPID_TRACEPOINT, scenario, context);
  } finally {
    probe?.remove(); // after capture(), which returns only once perf has exited
  }
}

async function capture(
  id: RunnerId,
  settings: PerfRecordSettings,
  event: string,
  scenario: Scenario,
  context: RunContext,
): Promise<RunResult> {
  const timeoutMs = runTimeoutMs(scenario);
  const base = join(context.workDir, `${id}-${scenario.id}`);
  const dataFile = `${base}.data`;
  const ctl = openFifo(`${base}.ctl`);
  const ack = openFifo(`${base}.ack`);
  const load = new GatedLoad(context.loadgenPath, scenario);
  const filter = settings.filtered ? load.selectedPidFilter() : undefined;
  // --filter applies to the -e just before it.
  const command = ['perf', 'record', '-e', event, ...(filter === undefined ? [] : ['--filter', filter])];
  // -g: frame-pointer call chains, as perf-bridge's stack option takes them.
  if (scenario.stack !== undefined) command.push('-g');
  // -B: no build-id pass at exit; tracepoint samples need none, and it would add CPU to perf.
  command.push('-k', 'CLOCK_MONOTONIC', '-p', load.pids.join(','), '-o', dataFile, '-B');
  command.push('-D', '-1', '--control', `fifo:${base}.ctl,${base}.ack`, ...settings.ringArgs);
  const tool = new ToolProcess(context.rusageExecPath, context.workDir, `${id}-${scenario.id}`, command, timeoutMs);
  try {
    writeSync(ctl, 'enable\n');
    let acked = '';
    await pollUntil(
      'perf record to enable its events',
      () => {
        if (!tool.running) throw new Error(`perf record exited early: ${tool.output.stderr().trim()}`);
        acked += readFifo(ack);
        return acked.includes('ack') ? true : undefined;
      },
      30_000,
    );
    tool.markReady();
    load.release();
    const producer = await load.finish(timeoutMs);
    // perf sees the target's exit as a hangup on its events and stops by itself; SIGINT is the
    // fallback should it not notice within a few seconds.
    for (let i = 0; i < 100 && tool.running; i++) await sleep(50);
    tool.interrupt();
    const cost = await tool.finish();
    if (cost.usage.exitCode !== 0)
      throw new Error(`perf record failed (${cost.usage.exitCode}): ${tool.output.stderr().trim()}`);
    const stats = perfStats(dataFile, event);
    const counted = await countSamples(dataFile, timeoutMs);
    const notes: string[] = [];
    if (counted.samples !== stats.samples)
      notes.push(`perf report counts ${stats.samples} samples, perf script ${counted.samples}`);
    if (counted.duplicates > 0)
      notes.push(`perf wrote ${counted.duplicates} sample(s) twice (same tid, cpu, ns time); counted once`);
    return {
      runner: id,
      scenario: scenario.id,
      producer,
      ...(filter === undefined ? {} : { filter, expected: producer.selected?.produced ?? 0 }),
      delivered: counted.samples - counted.duplicates,
      lostKernel: stats.lostSamples,
      ...readerFigures(cost),
      notes,
    };
  } catch (error) {
    load.abort();
    tool.kill();
    try {
      await tool.finish(); // the probe can only go once perf has closed it
    } catch {
      // The capture's own error, thrown below, says more.
    }
    throw error;
  } finally {
    closeSync(ctl);
    closeSync(ack);
    for (const suffix of ['.data', '.data.old', '.ctl', '.ack']) rmSync(`${base}${suffix}`, { force: true });
  }
}
