/**
 * Warming compiled decoders before the first real batch. A flood that starts with the capture
 * otherwise meets decoders still running unoptimised: the first batch of getppid records takes
 * ~2 µs per event against ~0.05 µs once warm (`coldEventsPerSecond` against `eventsPerSecond` in
 * benchmarks/decode-micro.ts). The default ring (a 32 MiB budget shared by the CPUs, at most
 * 8 MiB each: 8 MiB on 2 CPUs, see defaultRingPages) holds only ~50 ms of the getppid flood of
 * `npm run bench` (getppid-max: ~3 M records/s of 56 bytes), so slow first batches use up much of it.
 */
import type { FieldsDecoder } from './compile.js';
import type { ColumnArena } from './columns.js';
import type { CompiledColumns } from './compile-columns.js';
import { decodeColumns } from './column-records.js';
import { type EventFormat, recordMinSize } from './format.js';
import { ProcessNames } from './process-names.js';
import { type BatchContext, decodeRecords, SampleLayout, type TraceEvent } from './records.js';
import { warmUntilOptimised } from './warm-loop.js';

/** Records of a whole warm-up pass: long loops, as real batches run. */
const RECORDS = 2048;

/**
 * Warm-up time one session may spend (ms) per form (objects, columns): events past it start cold.
 * Sessions on many events would otherwise open slowly, and their per-event rates are lower anyway.
 */
export const WARM_UP_BUDGET_MS = 150;
/** And one event at most: getppid's decoders took ~60–100 ms to be optimised on one shared core. */
const EVENT_WARM_UP_MS = 100;

/** When the warm-up of one event must end: its own limit, or the session's `until`. */
export function eventWarmUpEnd(until: number): number {
  return Math.min(until, performance.now() + EVENT_WARM_UP_MS);
}

/** The raw part of each synthetic record of `format`: its fields with no data. */
function syntheticRawSize(format: Pick<EventFormat, 'fields'>): number {
  return Math.max(8, recordMinSize(format.fields));
}

/** The size of each synthetic record of `format`, 8-byte aligned. */
function syntheticRecordSize(format: Pick<EventFormat, 'fields'>): number {
  return Math.ceil((SampleLayout.raw + syntheticRawSize(format)) / 8) * 8;
}

/**
 * A batch of zeroed sample records for `format` (every __data_loc then names an empty value), of
 * two threads taking turns every 16 records, as real batches hold runs of one thread: tid 0 has
 * one name, tid 1 was renamed after its samples (see warmUpContext), so both ways of naming a
 * sample are taken.
 */
function syntheticBatch(
  format: Pick<EventFormat, 'fields'>,
  id: number,
  records = RECORDS,
): { bytes: Buffer; view: DataView } {
  const raw = syntheticRawSize(format);
  const size = syntheticRecordSize(format);
  const bytes = Buffer.alloc(size * records);
  for (let i = 0; i < records; i++) {
    const at = i * size;
    bytes.writeUInt32LE(9, at); // PERF_RECORD_SAMPLE
    bytes.writeUInt16LE(size, at + SampleLayout.size);
    bytes.writeUInt32LE(id, at + SampleLayout.id);
    bytes.writeUInt32LE((i >> 4) & 1, at + SampleLayout.pid);
    bytes.writeUInt32LE((i >> 4) & 1, at + SampleLayout.tid);
    bytes.writeUInt32LE(raw, at + SampleLayout.rawSize);
  }
  return { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
}

/**
 * The context of warm-up batches: the synthetic records' threads are named without /proc (tid 1
 * with a name it took after its samples, as a command's exec renames it), and one
 * excluded pid no record has keeps the exclusion check in the optimised code, as sessions use it.
 * Each is shaped as in a session: the decoders were otherwise deoptimised at the first real batch
 * (0xffffffff as the pid made an array of doubles, of another map than an array of pids).
 */
function warmUpContext(): BatchContext {
  const names = new ProcessNames();
  names.seed(new Map([[0, { comm: 'warm-up' }]]));
  // Times as a session has them: ns of CLOCK_MONOTONIC, beyond small integers.
  names.renamed(1, 'warm-up', 2 ** 40);
  names.renamed(1, 'warm-up renamed', 2 ** 41);
  // Pruning writes a span's link to its older name: done once now, the optimised decoders do not
  // rely on that link never changing, and are not thrown away at a session's first prune.
  names.prune();
  return { names, excludedPids: [0x3fffffff], stacks: undefined };
}

/**
 * Runs an event's object decoder over synthetic records until V8 has optimised it (see
 * warmUntilOptimised) or `until` (performance.now() ms).
 */
export function warmObjectDecoder(format: Pick<EventFormat, 'fields'>, decode: FieldsDecoder, until: number): void {
  const { bytes, view } = syntheticBatch(format, 1);
  const size = syntheticRecordSize(format);
  const slots = new Map([[1, { name: 'warm-up', decode, errors: { count: 0 }, delivered: 0, chainDepth: -1 }]]);
  const context = warmUpContext();
  const decodeFirst = (records: number) => {
    const out: TraceEvent[] = [];
    decodeRecords(bytes, view, records * size, slots, context, out, { malformed: 0 });
  };
  warmUntilOptimised(decodeFirst, RECORDS, until);
}

/**
 * Runs an event's column filler over synthetic records until V8 has optimised it or `until`, then
 * once over a batch of `batchBytes`, the session's batch size.
 */
export function warmColumnDecoder(
  format: Pick<EventFormat, 'fields'>,
  columns: CompiledColumns,
  arena: ColumnArena,
  batchBytes: number,
  until: number,
): void {
  const { bytes, view } = syntheticBatch(format, 1);
  const size = syntheticRecordSize(format);
  // The event's own arena: its pages are touched now rather than during the first batches.
  const slot = { name: 'warm-up', columns, errors: { count: 0 }, arena };
  // A session of this event alone walks and fills in one pass (fillWalking); one of several
  // events indexes the batch, then fills (fill): a second slot, whose id no record has, warms that.
  const alone = new Map([[1, slot]]);
  const among = new Map([
    [1, slot],
    [2, { ...slot, name: 'warm-up other' }],
  ]);
  const context = warmUpContext();
  const decodeFirst = (records: number) => {
    decodeColumns(bytes, view, records * size, alone, context, { malformed: 0 });
    decodeColumns(bytes, view, records * size, among, context, { malformed: 0 });
  };
  warmUntilOptimised(decodeFirst, RECORDS, until);
  // And once a batch as large as the session's: the arena and the scratch columns grow to their
  // size now. Fresh memory met during a flood costs a page fault per 4 KiB, and a first touch in a
  // VM costs up to ~40 µs (measured: 589 faults in one 24 ms batch).
  const full = syntheticBatch(format, 1, Math.floor(batchBytes / size));
  decodeColumns(full.bytes, full.view, full.bytes.length, alone, context, { malformed: 0 });
  decodeColumns(full.bytes, full.view, full.bytes.length, among, context, { malformed: 0 });
}
