/**
 * Counting what perf record wrote. `perf report --stats` gives the sample count and the kernel's
 * lost-sample count; `perf script` is read as well because perf 6.1 on this kernel has been seen
 * to write some samples twice (same thread, CPU and nanosecond timestamp, which two real events
 * cannot share; perf-bridge sees none on the same load), and those are not delivered events.
 * This post-processing runs after the capture and is not counted as the reader's CPU.
 */
import { execFileSync, spawn } from 'node:child_process';

import { waitForExit } from '../processes.js';

/** Counts from `perf report --stats` for one event. */
export interface PerfStats {
  samples: number;
  lostSamples: number;
}

/**
 * Reads the per-event section of `perf report --stats`:
 *   <event> stats:
 *             SAMPLE events:    1741719
 *       LOST_SAMPLES events:     258337
 */
export function parsePerfStats(text: string, event: string): PerfStats {
  const section = text.split(/^(?=\S.* stats:\s*$)/m).find((part) => part.startsWith(`${event} stats:`)) ?? '';
  const count = (name: string) => Number(new RegExp(`^\\s*${name} events:\\s*(\\d+)`, 'm').exec(section)?.[1] ?? 0);
  return { samples: count('SAMPLE'), lostSamples: count('LOST_SAMPLES') };
}

/** Runs `perf report --stats` on a data file. */
export function perfStats(dataFile: string, event: string): PerfStats {
  const text = execFileSync('perf', ['report', '-i', dataFile, '--stats'], {
    encoding: 'utf8',
    timeout: 300_000,
    maxBuffer: 64 << 20,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return parsePerfStats(text, event);
}

/** Samples in a data file, and how many of them repeat the one before (time order). */
export interface SampleCount {
  samples: number;
  duplicates: number;
}

/** Streams `perf script` (thread, CPU, ns time per sample, time-sorted) and counts repeats. */
export async function countSamples(dataFile: string, timeoutMs: number): Promise<SampleCount> {
  const child = spawn('perf', ['script', '-i', dataFile, '--ns', '-F', 'tid,cpu,time'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const exited = waitForExit(child, timeoutMs);
  let samples = 0;
  let duplicates = 0;
  let previous = '';
  let partial = '';
  child.stdout.setEncoding('utf8');
  for await (const chunk of child.stdout) {
    const lines = (partial + (chunk as string)).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (line.trim() === '') continue;
      samples++;
      if (line === previous) duplicates++;
      previous = line;
    }
  }
  await exited;
  return { samples, duplicates };
}
