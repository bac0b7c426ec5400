/**
 * The perf-bridge reader as its own process, so its CPU time and peak RSS are those of one run.
 * The parent pins it to the reader CPU and talks to it in JSON lines:
 *
 *   node child-capture.js '<CaptureConfig as JSON>'
 *   child -> parent  {"type":"ready"}            the session is open and started
 *   parent -> child  stop\n                       the generator has exited
 *   child -> parent  {"type":"result", ...}       CaptureReport, then the child exits
 *
 * The consumer does what a minimal real consumer does: it counts events and samples their
 * latency, in plain numbers (monotonic nanoseconds stay exact below 2^53, ~104 days of uptime) so
 * that the sampler's own cost stays out of the reader's. Strings of the columnar mode stay undecoded (StringColumn decodes on get()), which is
 * the point of that mode.
 */
import { openSession } from '../../src/session/session.js';
import { LatencySampler, type LatencySummary, readPeakRssKb, threadCpu, threadCpuDelta } from '../measure.js';

/** What the parent asks for. */
export interface CaptureConfig {
  mode: 'object' | 'columnar';
  /** The generators' pids (events of other processes are not captured). */
  pid: number[];
  /** Tracepoints, each with an optional kernel filter. */
  events?: (string | { event: string; filter: string })[];
  probes?: Record<string, string>;
  /** Capture user stacks too. */
  stack?: 'user';
  /** Sample the latency of every n-th event. */
  latencyStride: number;
  /** Give up if no stop arrives within this many ms. */
  timeoutMs: number;
}

/** What the child reports. */
export interface CaptureReport {
  type: 'result';
  delivered: number;
  /** Events seen by this consumer (must equal delivered). */
  consumed: number;
  batches: number;
  lostKernel: number;
  decodeErrors: number;
  /** CPU µs from start() until stop() returned (every event delivered), user + sys. */
  cpuUs: number;
  cpuUserUs: number;
  cpuSysUs: number;
  /** CPU µs of stats() and close() (unmapping, closing, removing probes): teardown, reported apart. */
  closeCpuUs: number;
  /** CPU µs since the process started. */
  cpuTotalUs: number;
  peakRssKb: number | null;
  latency: LatencySummary;
  /** Where the window's CPU went, per thread (main thread, V8 and libuv workers). */
  threads: ReturnType<typeof threadCpuDelta>;
}

function send(message: object): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

function main(): void {
  const config = JSON.parse(process.argv[2] ?? '{}') as CaptureConfig;
  const sampler = new LatencySampler(Math.max(1, config.latencyStride));
  let consumed = 0;
  const stack = config.stack === undefined ? {} : { stack: config.stack };
  const session = openSession({ events: config.events ?? [], probes: config.probes ?? {}, pid: config.pid, ...stack });

  if (config.mode === 'object') {
    session.onBatch((batch) => {
      const now = Number(process.hrtime.bigint());
      consumed += batch.length;
      for (let i = sampler.firstIndex(); i < batch.length; i += sampler.stride)
        sampler.add(now - Number(batch[i]!.time));
      sampler.endBatch(batch.length);
    });
  } else {
    session.onColumns((batch) => {
      const now = Number(process.hrtime.bigint());
      for (const columns of batch.events.values()) {
        consumed += columns.length;
        // The times' 32-bit halves, read as numbers: no BigInt made per sample.
        const { buffer, byteOffset, length } = columns.time;
        const halves = new Uint32Array(buffer, byteOffset, length * 2);
        for (let i = sampler.firstIndex(); i < columns.length; i += sampler.stride)
          sampler.add(now - (halves[2 * i]! + halves[2 * i + 1]! * 0x100000000));
        sampler.endBatch(columns.length);
      }
    });
  }

  session.start();
  const startThreads = threadCpu();
  const startCpu = process.cpuUsage();
  send({ type: 'ready' });

  let finished = false;
  const finish = (why?: string) => {
    if (finished) return;
    finished = true;
    clearTimeout(watchdog);
    session.stop();
    const window = process.cpuUsage(startCpu);
    const threads = threadCpuDelta(startThreads, threadCpu());
    const beforeClose = process.cpuUsage();
    const stats = session.stats();
    session.close();
    const closing = process.cpuUsage(beforeClose);
    const total = process.cpuUsage();
    const report: CaptureReport = {
      type: 'result',
      delivered: stats.delivered,
      consumed,
      batches: stats.batches,
      lostKernel: stats.lost.total,
      decodeErrors: stats.decodeErrors,
      cpuUs: window.user + window.system,
      cpuUserUs: window.user,
      cpuSysUs: window.system,
      closeCpuUs: closing.user + closing.system,
      cpuTotalUs: total.user + total.system,
      peakRssKb: readPeakRssKb() ?? null,
      latency: sampler.summary(),
      threads,
    };
    send(why === undefined ? report : { ...report, error: why });
    process.stdin.destroy();
  };
  // Bounded: a parent that never says stop (crashed, hung) does not leave this reader running.
  const watchdog = setTimeout(() => {
    finish(`no stop within ${config.timeoutMs} ms`);
  }, config.timeoutMs);
  process.stdin.setEncoding('utf8');
  let input = '';
  process.stdin.on('data', (chunk: string) => {
    input += chunk;
    if (input.includes('stop\n')) finish();
  });
  process.stdin.on('end', () => {
    finish('stdin closed before stop');
  });
}

main();
