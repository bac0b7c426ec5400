/**
 * Measuring processes: CPU time and peak RSS from /proc and from the rusage-exec wrapper, and
 * latency percentiles from sampled events.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

let ticksPerSecondCache: number | undefined;

/** USER_HZ, the unit of the CPU times in /proc/<pid>/stat (100 on every common kernel). */
export function ticksPerSecond(): number {
  if (ticksPerSecondCache === undefined) {
    try {
      ticksPerSecondCache =
        Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 5000 }).trim()) || 100;
    } catch {
      ticksPerSecondCache = 100;
    }
  }
  return ticksPerSecondCache;
}

/** User and system CPU seconds. */
export interface CpuTime {
  user: number;
  sys: number;
}

/** CPU seconds of a live process: its own threads, and the children it has reaped. */
export interface ProcCpu {
  /** From /proc/<pid>/stat: whole clock ticks (10 ms), so each part may be short by a tick. */
  own: CpuTime;
  children: CpuTime;
  /**
   * Own user + sys, as exact as /proc allows: the nanosecond run time of the live threads
   * (schedstat), or the tick total when exited threads make that larger.
   */
  ownTotal: number;
}

/** Nanosecond run time of the live threads of `pid`, in seconds (0 when unreadable). */
function liveThreadsRuntime(pid: number): number {
  let total = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e9;
      } catch {
        // the thread ended
      }
    }
  } catch {
    return 0;
  }
  return total;
}

/** Reads utime, stime, cutime and cstime of `pid`; undefined when the process is gone. */
export function readProcCpu(pid: number): ProcCpu | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name may contain spaces and ')': the numeric fields start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so field k is fields[k - 3].
  const hz = ticksPerSecond();
  const own = { user: Number(fields[11]) / hz, sys: Number(fields[12]) / hz };
  return {
    own,
    children: { user: Number(fields[13]) / hz, sys: Number(fields[14]) / hz },
    ownTotal: Math.max(own.user + own.sys, liveThreadsRuntime(pid)),
  };
}

/**
 * CPU spent between a /proc reading and a final exact reading (rusage). The total is exact to
 * what ProcCpu.ownTotal allows; the user/sys split comes from the tick counts, scaled to it.
 */
export function cpuSince(start: ProcCpu, end: CpuTime): CpuTime {
  const total = Math.max(0, end.user + end.sys - start.ownTotal);
  const user = Math.max(0, end.user - start.own.user);
  const sys = Math.max(0, end.sys - start.own.sys);
  if (user + sys === 0) return { user: total, sys: 0 };
  return { user: (total * user) / (user + sys), sys: (total * sys) / (user + sys) };
}

/** CPU seconds of each thread of this process, keyed by `<tid> <name>` (10 ms resolution). */
export function threadCpu(): Map<string, CpuTime> {
  const threads = new Map<string, CpuTime>();
  let tids: string[] = [];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return threads;
  }
  const hz = ticksPerSecond();
  for (const tid of tids) {
    try {
      const text = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const name = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      threads.set(`${tid} ${name}`, { user: Number(fields[11]) / hz, sys: Number(fields[12]) / hz });
    } catch {
      // the thread ended
    }
  }
  return threads;
}

/** Per-thread CPU between two threadCpu() readings, busiest first, idle threads left out. */
export function threadCpuDelta(
  before: Map<string, CpuTime>,
  after: Map<string, CpuTime>,
): { thread: string; user: number; sys: number }[] {
  return [...after]
    .map(([thread, end]) => {
      const start = before.get(thread) ?? { user: 0, sys: 0 };
      return {
        thread,
        user: Math.round((end.user - start.user) * 1000) / 1000,
        sys: Math.round((end.sys - start.sys) * 1000) / 1000,
      };
    })
    .filter((t) => t.user + t.sys > 0)
    .sort((a, b) => b.user + b.sys - (a.user + a.sys));
}

/** Peak resident set (VmHWM) of a live process in KiB; undefined when unreadable. */
export function readPeakRssKb(pid: number | 'self' = 'self'): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** What benchmarks/tools/rusage-exec.c writes about a finished tool. */
export interface ToolUsage {
  pid: number;
  exitCode: number;
  signal: number;
  /** wait4 rusage, including children the tool reaped. */
  userUs: number;
  sysUs: number;
  maxRssKb: number;
  /** The tool's own CPU ticks, read from its zombie (exclude reaped children). */
  ownUserTicks: number;
  ownSysTicks: number;
  /** CPU ticks of the children the tool reaped. */
  childUserTicks: number;
  childSysTicks: number;
  ticksPerSecond: number;
}

/** Parses the rusage-exec output file. */
export function parseToolUsage(path: string): ToolUsage {
  return JSON.parse(readFileSync(path, 'utf8')) as ToolUsage;
}

/**
 * The tool's own CPU seconds at exit: the microsecond rusage, less the ticks of the children it
 * reaped (none for perf; the generator for bpftrace -c, at the 10 ms resolution /proc has).
 */
export function ownCpu(usage: ToolUsage): CpuTime {
  const hz = usage.ticksPerSecond;
  return {
    user: Math.max(0, usage.userUs / 1e6 - Math.max(0, usage.childUserTicks) / hz),
    sys: Math.max(0, usage.sysUs / 1e6 - Math.max(0, usage.childSysTicks) / hz),
  };
}

/** Latency percentiles in milliseconds. */
export interface LatencySummary {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** The p-th percentile (0..100) of ascending `sorted` by nearest rank. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** The median of a list (NaN when empty). */
export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Keeps the latency of every `stride`-th event in a fixed buffer. Sampling instead of timing
 * every event keeps the measurement's own cost (a bigint subtraction per event) out of the
 * reader CPU figure; the stride runs across batches so every position in a batch is sampled.
 */
export class LatencySampler {
  private readonly values: Float64Array;
  private count = 0;
  /** Index in the next batch of the first event to sample. */
  private next = 0;

  constructor(
    readonly stride: number,
    capacity = 1 << 20,
  ) {
    this.values = new Float64Array(capacity);
  }

  /** Events before the next sample, as seen from the start of a batch of `length` events. */
  firstIndex(): number {
    return this.next;
  }

  /** Records one latency in nanoseconds. */
  add(nanoseconds: number): void {
    if (this.count < this.values.length) this.values[this.count++] = nanoseconds;
  }

  /** Moves the sampling phase past a batch of `length` events. */
  endBatch(length: number): void {
    const past = length - this.next;
    this.next = past <= 0 ? -past : (this.stride - (past % this.stride)) % this.stride;
  }

  summary(): LatencySummary {
    const sorted = this.values.slice(0, this.count).sort();
    return {
      samples: this.count,
      p50Ms: percentile(sorted, 50) / 1e6,
      p99Ms: percentile(sorted, 99) / 1e6,
      maxMs: (this.count > 0 ? sorted[this.count - 1]! : NaN) / 1e6,
    };
  }
}
