/**
 * The reference decoder: `perf record` + `perf script` over the same events, for comparing our
 * decoded values with what perf prints.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** One line of `perf script --ns -F tid,pid,cpu,time,event,trace`. */
export interface PerfScriptEvent {
  pid: number;
  tid: number;
  cpu: number;
  time: bigint;
  event: string;
  /** The print-format text, e.g. `filename=/bin/true pid=1 old_pid=1`. */
  trace: string;
}

/** True when a `perf` binary that runs is on PATH. */
export function havePerf(): boolean {
  try {
    execFileSync('perf', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const LINE = /^\s*(\d+)\/(\d+)\s+\[(\d+)\]\s+(\d+)\.(\d{9}):\s+([\w.-]+:[\w.-]+):\s?(.*)$/;

/** Parses `perf script --ns -F tid,pid,cpu,time,event,trace` output. */
export function parsePerfScript(text: string): PerfScriptEvent[] {
  const events: PerfScriptEvent[] = [];
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    events.push({
      pid: Number(m[1]),
      tid: Number(m[2]),
      cpu: Number(m[3]),
      time: BigInt(m[4]!) * 1_000_000_000n + BigInt(m[5]!),
      event: m[6]!,
      trace: m[7]!.trim(),
    });
  }
  return events;
}

/**
 * perf 6.1 sometimes writes one sample twice (same thread, CPU, event and nanosecond time; seen
 * 27-377 times per 2 M samples in our benchmarks): such repeats are one event.
 */
function withoutDuplicates(events: PerfScriptEvent[]): PerfScriptEvent[] {
  const seen = new Set<string>();
  return events.filter((e) => {
    const key = `${e.tid} ${e.cpu} ${e.time} ${e.event} ${e.trace}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Runs `perf record` on the monotonic clock around `command` (which it starts and follows)
 * and returns what `perf script` prints for it, plus the command's stdout.
 */
export async function perfRecord(
  events: string[],
  command: string[],
): Promise<{ events: PerfScriptEvent[]; stdout: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'perf-bridge-perf-'));
  try {
    const data = join(dir, 'perf.data');
    const args = [
      'record',
      '-q',
      '-k',
      'CLOCK_MONOTONIC',
      '-o',
      data,
      ...events.flatMap((e) => ['-e', e]),
      '--',
      ...command,
    ];
    const { stdout } = await execFileAsync('perf', args, { maxBuffer: 64 << 20 });
    const script = await execFileAsync('perf', ['script', '-i', data, '--ns', '-F', 'tid,pid,cpu,time,event,trace'], {
      maxBuffer: 1 << 30,
    });
    return { events: withoutDuplicates(parsePerfScript(script.stdout)), stdout };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
