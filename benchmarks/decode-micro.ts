/**
 * Decode microbenchmarks: real drained batches are recorded once, then decoded again and again
 * into objects and into columns, timing only the decode. The batches come from the native
 * capture directly (the session would decode them as they arrive), drained into buffers of the
 * session's size when the ring's wakeup watermark is reached, so they are full batches as under
 * load. (At low event rates the session's drain deadline hands over smaller batches, where the
 * fixed cost per batch weighs more.)
 *
 * `npm run bench` runs these after its scenarios; alone (as root), pinned to the reader's CPU as
 * the bench pins itself: `node .test-build/benchmarks/decode-micro.js [--quick]`. To compare two
 * builds of the decoders on identical batches, `--save DIR` keeps the recordings and
 * `--replay DIR` times them again without the kernel (recordings differ from run to run: the
 * loads interleave with other work differently).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { type ColumnSlot, decodeColumns } from '../src/decode/column-records.js';
import { compileDecoder } from '../src/decode/compile.js';
import { compileColumns } from '../src/decode/compile-columns.js';
import { ColumnArena } from '../src/decode/columns.js';
import type { EventFormat } from '../src/decode/format.js';
import { ProcessNames } from '../src/decode/process-names.js';
import { eventWarmUpEnd, warmColumnDecoder, warmObjectDecoder } from '../src/decode/warm-up.js';
import { type EventSlot, type TraceEvent, decodeRecords, recordSize, sampleId } from '../src/decode/records.js';
import { native } from '../src/native.js';
import { onlineCpus } from '../src/session/cpus.js';
import { BATCH_BYTES } from '../src/session/pump.js';
import { openSession } from '../src/session/session.js';
import { listEvents, parseEventName, readEventId } from '../src/tracefs/events.js';
import { bufferFilledSlot, drainCountsLength } from '../src/native-protocol.js';
import { loadgen } from '../test/helpers/programs.js';
import { GETPPID_TRACEPOINT, type Scenario, UPROBE_LABEL, runTimeoutMs, uprobeDefinition } from './scenarios.js';
import { GatedLoad, READER_CPU } from './workload.js';

/** PERF_TYPE_TRACEPOINT. */
const TRACEPOINT_TYPE = 2;

/** Throughput of one decoder on one event's batches. */
export interface DecodeFigure {
  event: string;
  mode: 'object' | 'columnar';
  events: number;
  batches: number;
  /** Median over timed passes, by wall clock on one pinned core. */
  eventsPerSecond: number;
  /** Median time of one batch (µs) over every batch of the timed passes: the fixed cost shows in small batches. */
  batchMicros: number;
  /** The same by CPU time (includes GC helper threads), for comparison. */
  eventsPerCpuSecond: number;
  /**
   * The first batch alone, decoded by freshly compiled decoders: what a session's first batch
   * costs without the warm-up of src/decode/warm-up.ts.
   */
  coldEventsPerSecond: number;
  passes: number;
}

/** Recorded batches of one event and what decoding them needs. */
interface Recording {
  event: string;
  format: EventFormat;
  batches: { bytes: Buffer; view: DataView; length: number }[];
  ids: number[];
  events: number;
}

/** Counts the records of a batch and collects their sample ids. */
function scanBatch(view: DataView, length: number, ids: Set<number>): number {
  let records = 0;
  for (let pos = 0, size = 0; (size = recordSize(view, pos, length, size)) >= 0; pos += size, records++) {
    ids.add(sampleId(view, pos));
  }
  return records;
}

/** Runs the scenario's load and keeps every drained batch of the event with tracepoint id `id`. */
async function record(
  loadgenPath: string,
  scenario: Scenario,
  event: string,
  id: number,
  format: EventFormat,
): Promise<Recording> {
  const load = new GatedLoad(loadgenPath, scenario);
  const cpus = onlineCpus();
  const buffer = Buffer.allocUnsafeSlow(BATCH_BYTES);
  const counts = new Float64Array(drainCountsLength(cpus.length));
  const batches: Recording['batches'] = [];
  const ids = new Set<number>();
  let events = 0;
  const Capture = native().Capture;
  let capture: InstanceType<typeof Capture> | undefined;
  const drain = () => {
    // Bounded: each call empties at most one buffer-full; the rings hold a bounded amount.
    for (let i = 0; i < 100_000 && capture !== undefined; i++) {
      const length = capture.drain(buffer.buffer, counts, new ArrayBuffer(0)); // no side-band was opened
      if (length > 0) {
        const bytes = Buffer.from(buffer.subarray(0, length));
        const view = new DataView(bytes.buffer, bytes.byteOffset, length);
        events += scanBatch(view, length, ids);
        batches.push({ bytes, view, length });
      }
      if (counts[bufferFilledSlot(cpus.length)] !== 1) return;
    }
  };
  capture = new Capture(
    {
      events: [{ type: TRACEPOINT_TYPE, config: BigInt(id) }],
      cpus,
      targets: [load.pid],
      inherit: true,
      ringPages: 512,
      wakeupBytes: 512 * 1024,
    },
    () => {
      drain();
    },
  );
  try {
    capture.enable();
    load.release();
    await load.finish(runTimeoutMs(scenario));
    capture.disable();
    drain();
  } finally {
    capture.close();
    capture = undefined;
    load.abort();
  }
  return { event, format, batches, ids: [...ids], events };
}

/**
 * Times `decodeBatch` over every batch: the first batch alone (cold), two untimed warm-up passes,
 * then timed passes until `minMs` have gone by (at most 50). The median pass is reported, which
 * shrugs off a pass that a noisy neighbour interrupted.
 */
function time(recording: Recording, decodeBatch: (batch: Recording['batches'][number]) => number, minMs: number) {
  const pass = () => {
    let decoded = 0;
    for (const batch of recording.batches) decoded += decodeBatch(batch);
    return decoded;
  };
  const coldStart = process.hrtime.bigint();
  const first = recording.batches[0];
  const coldEvents = first === undefined ? 0 : decodeBatch(first);
  const coldEventsPerSecond = coldEvents / (Number(process.hrtime.bigint() - coldStart) / 1e9);
  pass();
  pass();
  const rates: number[] = [];
  const batchTimes: number[] = [];
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  let decodedTotal = 0;
  while (rates.length < 50 && (rates.length < 3 || Number(process.hrtime.bigint() - start) / 1e6 < minMs)) {
    const passStart = process.hrtime.bigint();
    let decoded = 0;
    for (const batch of recording.batches) {
      const batchStart = process.hrtime.bigint();
      decoded += decodeBatch(batch);
      batchTimes.push(Number(process.hrtime.bigint() - batchStart) / 1e3);
    }
    rates.push(decoded / (Number(process.hrtime.bigint() - passStart) / 1e9));
    decodedTotal += decoded;
  }
  const cpu = process.cpuUsage(cpuStart);
  rates.sort((a, b) => a - b);
  batchTimes.sort((a, b) => a - b);
  return {
    eventsPerSecond: rates[rates.length >> 1]!,
    batchMicros: batchTimes[batchTimes.length >> 1]!,
    eventsPerCpuSecond: decodedTotal / ((cpu.user + cpu.system) / 1e6),
    coldEventsPerSecond,
    passes: rates.length,
  };
}

/**
 * Object-mode and columnar throughput on one recording. With `warm`, the decoders are first warmed
 * as a session warms them (src/decode/warm-up.ts), so the timed batches meet the code a session runs.
 */
function measure(recording: Recording, minMs: number, warm = false): DecodeFigure[] {
  const slot: EventSlot = {
    name: recording.event,
    decode: compileDecoder(recording.format),
    errors: { count: 0 },
    delivered: 0,
    chainDepth: -1,
  };
  const objectSlots = new Map(recording.ids.map((id) => [id, slot]));
  const columnSlot: ColumnSlot = {
    name: recording.event,
    columns: compileColumns(recording.format),
    errors: { count: 0 },
    arena: new ColumnArena(),
  };
  const columnSlots = new Map(recording.ids.map((id) => [id, columnSlot]));
  if (warm) {
    // As a session warms them, each within its own limit.
    warmObjectDecoder(recording.format, slot.decode, eventWarmUpEnd(Infinity));
    warmColumnDecoder(recording.format, columnSlot.columns, columnSlot.arena, BATCH_BYTES, eventWarmUpEnd(Infinity));
  }
  const errors = { malformed: 0 };
  // As a session decodes: names looked up per record (the load's, read once), itself excluded.
  // (The pid list built as src/session/targets.ts builds it: the same array map as in a session.)
  const context = { names: new ProcessNames(), excludedPids: [...new Set([process.pid])], stacks: undefined };
  // Results go to a sink so the engine cannot treat the decode as dead code.
  let sink: unknown;
  const object = time(
    recording,
    (batch) => {
      const out: TraceEvent[] = [];
      decodeRecords(batch.bytes, batch.view, batch.length, objectSlots, context, out, errors);
      sink = out;
      return out.length;
    },
    minMs,
  );
  const columnar = time(
    recording,
    (batch) => {
      const columns = decodeColumns(batch.bytes, batch.view, batch.length, columnSlots, context, errors);
      sink = columns;
      return columns.length;
    },
    minMs,
  );
  if (sink === undefined || errors.malformed > 0)
    throw new Error(`decode micro: ${errors.malformed} malformed records`);
  const common = { event: recording.event, events: recording.events, batches: recording.batches.length };
  return [
    { ...common, mode: 'object', ...object },
    { ...common, mode: 'columnar', ...columnar },
  ];
}

/** Records the getppid and the uprobe event, then measures both decoders on each. */
export async function decodeMicro(loadgenPath: string, quick: boolean): Promise<DecodeFigure[]> {
  const recordings = await recordBoth(loadgenPath, quick);
  return recordings.flatMap((recording) => measure(recording, minMsOf(quick)));
}

/** How long each decoder is timed on one recording. */
function minMsOf(quick: boolean): number {
  return quick ? 300 : 1500;
}

/** Records the getppid event's and the uprobe event's batches. */
async function recordBoth(loadgenPath: string, quick: boolean): Promise<Recording[]> {
  const count = quick ? 200_000 : 1_000_000;
  const recordings: Recording[] = [];

  // A session resolves formats and creates the uprobe; it is never started; the recording
  // opens its own capture on the same tracefs events.
  const getppid: Scenario = { id: 'micro-getppid', title: 'decode micro', mode: 'getppid', count };
  const tracepoint = openSession({ events: [GETPPID_TRACEPOINT] });
  try {
    const id = readEventId(parseEventName(GETPPID_TRACEPOINT));
    recordings.push(
      await record(loadgenPath, getppid, GETPPID_TRACEPOINT, id, tracepoint.formats.get(GETPPID_TRACEPOINT)!),
    );
  } finally {
    tracepoint.close();
  }

  const call: Scenario = { id: 'micro-uprobe', title: 'decode micro', mode: 'call', count: count / 2 };
  const probe = openSession({ probes: { [UPROBE_LABEL]: uprobeDefinition(loadgenPath) } });
  try {
    // The library names its probe groups perfbridge_<pid>_<n>; this process has only this one.
    const tracefsName = listEvents()
      .filter((name) => name.startsWith(`perfbridge_${process.pid}_`))
      .pop();
    if (tracefsName === undefined) throw new Error('decode micro: cannot find the uprobe perf-bridge created');
    const id = readEventId(parseEventName(tracefsName));
    recordings.push(await record(loadgenPath, call, `uprobe ${UPROBE_LABEL}`, id, probe.formats.get(UPROBE_LABEL)!));
  } finally {
    probe.close();
  }
  return recordings;
}

/** What `--save` writes next to each recording's bytes (`<index>.bin`, the batches back to back). */
interface SavedRecording {
  event: string;
  format: EventFormat;
  lengths: number[];
  ids: number[];
  events: number;
}

/** Writes recordings to `dir` for {@link loadRecordings}. */
function saveRecordings(dir: string, recordings: readonly Recording[]): void {
  mkdirSync(dir, { recursive: true });
  const manifest: SavedRecording[] = recordings.map((recording, i) => {
    writeFileSync(
      join(dir, `${i}.bin`),
      Buffer.concat(recording.batches.map((batch) => batch.bytes.subarray(0, batch.length))),
    );
    const { event, format, ids, events } = recording;
    return { event, format, ids, events, lengths: recording.batches.map((batch) => batch.length) };
  });
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
}

/** Reads what {@link saveRecordings} wrote; each batch gets a buffer of its own, as when recorded. */
function loadRecordings(dir: string): Recording[] {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as SavedRecording[];
  return manifest.map((saved, i) => {
    const all = readFileSync(join(dir, `${i}.bin`));
    let at = 0;
    const batches = saved.lengths.map((length) => {
      const bytes = Buffer.from(all.subarray(at, at + length));
      at += length;
      return { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, length), length };
    });
    return { event: saved.event, format: saved.format, ids: saved.ids, events: saved.events, batches };
  });
}

/**
 * The recording cut into batches of at most `records` records each, as a session drains them at
 * lower rates (~430 records per drain pass at 100k events/s).
 */
function splitRecording(recording: Recording, records: number): Recording {
  const batches: Recording['batches'] = [];
  for (const batch of recording.batches) {
    let start = 0;
    let count = 0;
    let pos = 0;
    const cut = (end: number) => {
      const bytes = Buffer.from(batch.bytes.subarray(start, end));
      batches.push({ bytes, view: new DataView(bytes.buffer, bytes.byteOffset, end - start), length: end - start });
      start = end;
      count = 0;
    };
    for (let size = 0; (size = recordSize(batch.view, pos, batch.length, size)) >= 0; pos += size) {
      if (count === records) cut(pos);
      count++;
    }
    if (pos > start) cut(pos);
  }
  return { ...recording, batches };
}

/** The value of command-line option `name`, or undefined. */
function option(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at < 0 ? undefined : process.argv[at + 1];
}

/** Runs the microbenchmarks alone and prints one line per figure. */
async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const replay = option('--replay');
  const save = option('--save');
  if (replay === undefined && process.getuid?.() !== 0)
    throw new Error('the decode microbenchmark needs root (tracepoints, a uprobe)');
  execFileSync('taskset', ['-a', '-p', '-c', String(READER_CPU), String(process.pid)], { stdio: 'ignore' });
  const recordings = replay === undefined ? await recordBoth(loadgen(), quick) : loadRecordings(replay);
  if (save !== undefined) saveRecordings(save, recordings);
  // `--batch-records N`: small batches, decoded by decoders warmed as a session warms them.
  const batchRecords = option('--batch-records');
  const timed =
    batchRecords === undefined ? recordings : recordings.map((r) => splitRecording(r, Number(batchRecords)));
  const warm = batchRecords !== undefined || process.argv.includes('--warm');
  const figures = timed.flatMap((recording) => measure(recording, minMsOf(quick), warm));
  for (const figure of figures) {
    const rate = (figure.eventsPerSecond / 1e6).toFixed(2);
    const cpuRate = (figure.eventsPerCpuSecond / 1e6).toFixed(2);
    const coldRate = (figure.coldEventsPerSecond / 1e6).toFixed(2);
    process.stdout.write(
      `${figure.event}\t${figure.mode}\t${figure.events} events\t${figure.batches} batches\t` +
        `${rate} M events/s\t${cpuRate} M events/CPU-s\t${figure.passes} passes\t${coldRate} M events/s cold\t` +
        `${figure.batchMicros.toFixed(1)} µs/batch\n`,
    );
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
