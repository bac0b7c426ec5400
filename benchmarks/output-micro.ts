/**
 * Output microbenchmark: real columnar batches are captured once (a session's onColumns on the
 * getppid flood and on the uprobe string event of the load generator, each batch copied as it
 * arrives), then serialized again and again by EventWriter in each format, timing only the
 * serializing. For jsonl and csv it also times batch order (each event's rows in turn) against the time order
 * the writer uses, to show what ordering costs.
 *
 * As root, pinned to the reader's CPU as the bench pins itself:
 * `node .test-build/benchmarks/output-micro.js [--quick]`. The machine is shared: figures are
 * medians of several passes, still noisy.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import {
  BytesColumn,
  type Column,
  ColumnArena,
  type ColumnBatch,
  type EventColumns,
  StringColumn,
} from '../src/decode/columns.js';
import type { EventFormat } from '../src/decode/format.js';
import { EventWriter, type OutputFormat } from '../src/output/index.js';
import { openSession } from '../src/session/session.js';
import { loadgen } from '../test/helpers/programs.js';
import { GETPPID_TRACEPOINT, type Scenario, UPROBE_LABEL, runTimeoutMs, uprobeDefinition } from './scenarios.js';
import { GatedLoad, READER_CPU } from './workload.js';

/** Captured batches of one load. */
interface Capture {
  name: string;
  formats: ReadonlyMap<string, EventFormat>;
  batches: ColumnBatch[];
  rows: number;
}

/** One serializer's throughput on one capture. */
export interface OutputFigure {
  capture: string;
  serializer: string;
  rows: number;
  batches: number;
  /** Median over timed passes, by wall clock. */
  rowsPerSecond: number;
  /** Median over timed passes, by CPU time (GC helper threads included). */
  rowsPerCpuSecond: number;
  /** Output bytes per row. */
  bytesPerRow: number;
}

/** A packed column copied out of the session's reused arena. */
function copyPacked(column: StringColumn | BytesColumn, rows: number): StringColumn | BytesColumn {
  const bytes = column.offsets[rows]!;
  const arena = new ColumnArena();
  arena.reset(StringColumn.arenaBytes(rows, bytes));
  const copy = column.kind === 'string' ? new StringColumn(rows, bytes, arena) : new BytesColumn(rows, bytes, arena);
  copy.offsets.set(column.offsets.subarray(0, rows + 1));
  column.data.copy(copy.data, 0, 0, bytes);
  copy.length = rows;
  return copy;
}

/** An event's columns copied, so they outlive the listener. */
function copyColumns(columns: EventColumns): EventColumns {
  const fields: Record<string, Column> = {};
  for (const [name, column] of Object.entries(columns.fields)) {
    fields[name] =
      column instanceof StringColumn || column instanceof BytesColumn
        ? copyPacked(column, columns.length)
        : column.slice();
  }
  const { length, cpu, pid, tid, comm, time } = columns;
  return { length, cpu: cpu.slice(), pid: pid.slice(), tid: tid.slice(), comm: [...comm], time: time.slice(), fields };
}

/** Runs the scenario's load under a session (events or probes) and keeps a copy of every batch. */
async function capture(
  name: string,
  scenario: Scenario,
  sessionOptions: Parameters<typeof openSession>[0],
): Promise<Capture> {
  const load = new GatedLoad(loadgen(), scenario);
  const session = openSession({ ...sessionOptions, pid: load.pid });
  const batches: ColumnBatch[] = [];
  let rows = 0;
  try {
    session.onColumns((batch) => {
      const events = new Map([...batch.events].map(([event, columns]) => [event, copyColumns(columns)]));
      batches.push({ length: batch.length, events });
      rows += batch.length;
    });
    session.start();
    load.release();
    await load.finish(runTimeoutMs(scenario));
    session.stop();
    return { name, formats: session.formats, batches, rows };
  } finally {
    session.close();
    load.abort();
  }
}

/**
 * Times `serialize` over every batch: two warm-up passes, then passes until `minMs` (3 to 50). The
 * median pass by wall clock, and by CPU time (which a busy shared machine disturbs less).
 */
function time(
  capture: Capture,
  serialize: (batch: number) => number,
  minMs: number,
): { rate: number; cpuRate: number; bytes: number } {
  const pass = () => {
    let bytes = 0;
    for (let i = 0; i < capture.batches.length; i++) bytes += serialize(i);
    return bytes;
  };
  pass();
  const bytes = pass();
  const rates: number[] = [];
  const cpuRates: number[] = [];
  const start = performance.now();
  while (rates.length < 50 && (rates.length < 3 || performance.now() - start < minMs)) {
    const passStart = performance.now();
    const cpuStart = process.cpuUsage();
    pass();
    const cpu = process.cpuUsage(cpuStart);
    rates.push(capture.rows / ((performance.now() - passStart) / 1000));
    cpuRates.push(capture.rows / ((cpu.user + cpu.system) / 1e6));
  }
  const median = (values: number[]) => values.sort((a, b) => a - b)[values.length >> 1]!;
  return { rate: median(rates), cpuRate: median(cpuRates), bytes };
}

/** Every serializer on one capture. */
function measure(capture: Capture, minMs: number): OutputFigure[] {
  const figures: OutputFigure[] = [];
  const add = (serializer: string, serialize: (batch: number) => number) => {
    const { rate, cpuRate, bytes } = time(capture, serialize, minMs);
    figures.push({
      capture: capture.name,
      serializer,
      rows: capture.rows,
      batches: capture.batches.length,
      rowsPerSecond: rate,
      rowsPerCpuSecond: cpuRate,
      bytesPerRow: bytes / capture.rows,
    });
  };
  const formats: OutputFormat[] = ['jsonl', 'csv', 'text'];
  for (const format of formats) {
    for (const timeOrdered of format === 'text' ? [true] : [true, false]) {
      for (const recycled of format === 'jsonl' && timeOrdered ? [true, false] : [true]) {
        const writer = new EventWriter(capture.formats, {
          format,
          timeOrigin: 0n,
          absoluteTime: false,
          order: timeOrdered ? 'time' : 'batch',
        });
        const label = `${format}${timeOrdered ? '' : ' (batch order)'}${recycled ? '' : ' (buffers not handed back)'}`;
        add(label, (i) => {
          const { bytes } = writer.write(capture.batches[i]!, Infinity);
          // As a caller whose write completed at once: the memory serves the next batch.
          if (recycled) writer.recycle(bytes);
          return bytes.length;
        });
      }
    }
  }
  return figures;
}

/** Captures the getppid flood and the uprobe load, then measures every serializer on each. */
export async function outputMicro(quick: boolean): Promise<OutputFigure[]> {
  const count = quick ? 200_000 : 1_000_000;
  const minMs = quick ? 300 : 1500;
  const getppid: Scenario = { id: 'output-getppid', title: 'output micro', mode: 'getppid', count };
  const call: Scenario = { id: 'output-uprobe', title: 'output micro', mode: 'call', count: count / 2 };
  const captures = [
    await capture(GETPPID_TRACEPOINT, getppid, { events: [GETPPID_TRACEPOINT] }),
    await capture(`uprobe ${UPROBE_LABEL}`, call, { probes: { [UPROBE_LABEL]: uprobeDefinition(loadgen()) } }),
  ];
  return captures.flatMap((c) => measure(c, minMs));
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the output microbenchmark needs root (a tracepoint, a uprobe)');
  execFileSync('taskset', ['-a', '-p', '-c', String(READER_CPU), String(process.pid)], { stdio: 'ignore' });
  for (const figure of await outputMicro(process.argv.includes('--quick'))) {
    process.stdout.write(
      `${figure.capture}\t${figure.serializer}\t${figure.rows} rows\t${figure.batches} batches\t` +
        `${(figure.rowsPerSecond / 1e6).toFixed(2)} M rows/s\t${(figure.rowsPerCpuSecond / 1e6).toFixed(2)} M rows/CPU-s\t` +
        `${figure.bytesPerRow.toFixed(1)} B/row\n`,
    );
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
