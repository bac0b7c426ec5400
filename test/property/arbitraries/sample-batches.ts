/**
 * Generated batches of perf sample records, as the ring reader hands them to the record walkers:
 * well-formed records of real tracepoint formats (test/fixtures/formats), some damaged in the ways
 * a batch can be wrong, and a batch end that may cut a record or carry a header that lies about its
 * size. Each batch comes with what the walkers must make of it: the events delivered (in order,
 * with their values), the records counted malformed, and the decode errors per event.
 */
import fc from 'fast-check';

import { type EventFormat, type FormatField, fieldEnd, parseFormat } from '../../../src/decode/format.js';
import { SampleLayout } from '../../../src/decode/records.js';
import { fixture } from '../../helpers/fixtures.js';
import { encodeSample } from '../../helpers/sample-records.js';
import {
  type Comparable,
  type FieldContent,
  emptyValue,
  encodeRaw,
  expectedValue,
  fieldContent,
  isDynamic,
} from './field-values.js';

/** A tracepoint the walkers decode, with the sample ids its records carry (one per ring). */
export interface EventUnderTest {
  name: string;
  format: EventFormat;
  ids: readonly number[];
}

// Real formats covering integers, bools, char arrays, typed arrays and __data_loc text and arrays.
const FIXTURES = [
  'syscalls_sys_enter_getppid',
  'sched_sched_process_exec',
  'sched_sched_switch',
  'sched_sched_process_fork',
  'raw_syscalls_sys_enter',
  'dma_dma_map_sg',
  'timer_hrtimer_start',
  'fib6_fib6_table_lookup',
] as const;

/** The events of every generated batch; event i has sample ids 10 + i and 100 + i. */
export const EVENTS: readonly EventUnderTest[] = FIXTURES.map((file, i) => {
  const format = parseFormat(fixture('formats/linux-6.18', `${file}.format`));
  return { name: `${format.name}#${i}`, format, ids: [10 + i, 100 + i] };
});

/** Sample ids no event has. */
const UNKNOWN_ID = 7;

/**
 * What is wrong with one record:
 * - `unknownId`: its sample id matches no event (malformed);
 * - `rawOverrun`: its raw size claims more bytes than the record has (malformed);
 * - `rawShort`: its raw size is below what the format's fixed fields need (one decode error);
 * - `locOutside`: one `__data_loc` word points past the raw data (one decode error).
 */
export type Damage = 'none' | 'unknownId' | 'rawOverrun' | 'rawShort' | 'locOutside';

/** One record of a generated batch. */
export interface GeneratedRecord {
  /** The event's name (not the event, so counterexamples stay short). */
  event: string;
  damage: Damage;
  bytes: Buffer;
  /** What the record decodes to when it is delivered. */
  expected: { event: string; pid: number; tid: number; cpu: number; time: bigint; fields: Record<string, Comparable> };
}

/** A lying header size that reaches 8 bytes past the end of the batch. */
const PAST_THE_END = -1;

/** How the batch ends: whole, cut at a byte, or at a record whose header size is impossible. */
export type Ending =
  | { kind: 'whole' }
  | { kind: 'cut'; at: number }
  | { kind: 'lyingSize'; record: number; /** The header size written, or PAST_THE_END. */ size: number };

/** A batch and the walkers' expected results. */
export interface GeneratedBatch {
  bytes: Buffer;
  /** `event: damage` of each record, for reading counterexamples. */
  records: string[];
  ending: Ending;
  /** Records delivered, in batch order. */
  delivered: GeneratedRecord['expected'][];
  malformed: number;
  /** Decode errors by event name. */
  decodeErrors: Map<string, number>;
}

const u32 = fc.integer({ min: 0, max: 0xffffffff });

function damagesFor(format: EventFormat): Damage[] {
  return [
    'none',
    'none',
    'none',
    'unknownId',
    'rawOverrun',
    'rawShort',
    ...(format.fields.some(isDynamic) ? (['locOutside'] as const) : []),
  ];
}

/** The smallest raw size that holds every fixed field. */
function fixedEnd(fields: readonly FormatField[]): number {
  return fields.reduce((end, field) => Math.max(end, fieldEnd(field)), 0);
}

/** Points the loc word of `field` past `rawSize` bytes: offset + length beyond the raw data. */
function pointOutside(raw: Buffer, field: FormatField, rawSize: number, low: number, length: number): void {
  const relative = field.decoding.kind === 'dynamic' && field.decoding.relative;
  const start = low + (relative ? field.offset + 4 : 0);
  const outside = start + length > rawSize ? length : rawSize - start + 1 + (length % 64);
  raw.writeUInt32LE(((outside << 16) | low) >>> 0, field.offset);
}

function generatedRecord(event: EventUnderTest): fc.Arbitrary<GeneratedRecord> {
  const fields = event.format.fields;
  return fc
    .record({
      ring: fc.nat(event.ids.length - 1),
      pid: u32,
      tid: u32,
      cpu: u32,
      time: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      contents: fc.tuple<FieldContent[]>(...fields.map(fieldContent)),
      damage: fc.constantFrom(...damagesFor(event.format)),
      choice: fc.nat(),
      low: fc.nat(0xffff),
      length: fc.nat(0xffff),
    })
    .map(({ ring, pid, tid, cpu, time, contents, damage, choice, low, length }) => {
      const raw = encodeRaw(fields, contents);
      const values = fields.map((field, i) => expectedValue(field, contents[i]!));
      let rawSize = raw.length;
      if (damage === 'rawShort') {
        rawSize = choice % fixedEnd(fields);
        // The record keeps its bytes; only the fields the shorter raw part still holds decode.
        fields.forEach((field, i) => {
          if (fieldEnd(field) > rawSize || isDynamic(field)) values[i] = emptyValue(field);
        });
      } else if (damage === 'locOutside') {
        const dynamic = fields.map((field, i) => [field, i] as const).filter(([field]) => isDynamic(field));
        const [field, i] = dynamic[choice % dynamic.length]!;
        pointOutside(raw, field, rawSize, low, length);
        values[i] = emptyValue(field);
      }
      const id = damage === 'unknownId' ? UNKNOWN_ID : event.ids[ring]!;
      const bytes = encodeSample({ id, pid, tid, time, cpu, raw });
      if (damage === 'rawShort') bytes.writeUInt32LE(rawSize, SampleLayout.rawSize);
      if (damage === 'rawOverrun') {
        bytes.writeUInt32LE(bytes.length - SampleLayout.raw + 1 + (choice % 0xffff), SampleLayout.rawSize);
      }
      const named = Object.fromEntries(fields.map((field, i) => [field.name, values[i]!]));
      return { event: event.name, damage, bytes, expected: { event: event.name, pid, tid, cpu, time, fields: named } };
    });
}

const ending: fc.Arbitrary<Ending> = fc.oneof(
  fc.constant({ kind: 'whole' } as const),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  // Too small for a sample header, or (PAST_THE_END) reaching beyond the batch.
  fc.record({
    kind: fc.constant('lyingSize' as const),
    record: fc.nat(),
    size: fc.oneof(fc.nat(SampleLayout.raw - 1), fc.constant(PAST_THE_END)),
  }),
);

/** Applies the ending; returns the batch bytes and how many whole records the walk reaches. */
function endBatch(records: GeneratedRecord[], end: Ending): { bytes: Buffer; reached: number; endsEarly: boolean } {
  const whole = Buffer.concat(records.map((r) => r.bytes));
  if (end.kind === 'cut') {
    const at = end.at % (whole.length + 1);
    let reached = 0;
    let boundary = 0;
    while (reached < records.length && boundary + records[reached]!.bytes.length <= at) {
      boundary += records[reached++]!.bytes.length;
    }
    return { bytes: whole.subarray(0, at), reached, endsEarly: boundary < at };
  }
  if (end.kind === 'lyingSize' && records.length > 0) {
    const reached = end.record % records.length;
    const position = records.slice(0, reached).reduce((sum, r) => sum + r.bytes.length, 0);
    const size = end.size === PAST_THE_END ? whole.length - position + 8 : end.size;
    whole.writeUInt16LE(size, position + SampleLayout.size);
    return { bytes: whole, reached, endsEarly: true };
  }
  return { bytes: whole, reached: records.length, endsEarly: false };
}

/** A batch of up to 16 records of the events under test, with its expected outcome. */
export const generatedBatch: fc.Arbitrary<GeneratedBatch> = fc
  .tuple(fc.array(fc.oneof(...EVENTS.map(generatedRecord)), { maxLength: 16 }), ending)
  .map(([records, end]) => {
    const { bytes, reached, endsEarly } = endBatch(records, end);
    const delivered: GeneratedRecord['expected'][] = [];
    const decodeErrors = new Map(EVENTS.map((event) => [event.name, 0]));
    let malformed = endsEarly ? 1 : 0;
    for (const record of records.slice(0, reached)) {
      if (record.damage === 'unknownId' || record.damage === 'rawOverrun') {
        malformed++;
        continue;
      }
      delivered.push(record.expected);
      if (record.damage !== 'none') decodeErrors.set(record.event, decodeErrors.get(record.event)! + 1);
    }
    // A copy of exactly the batch's length: a read past its end throws instead of passing unseen.
    const summary = records.map((record) => `${record.event}: ${record.damage}`);
    return { bytes: Buffer.from(bytes), records: summary, ending: end, delivered, malformed, decodeErrors };
  });

/** Random byte overwrites and a random end on top of a generated batch: no outcome is predicted. */
export const corruptedBatch: fc.Arbitrary<Buffer> = fc
  .tuple(generatedBatch, fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 24 }), fc.nat())
  .map(([batch, writes, cut]) => {
    const bytes = Buffer.from(batch.bytes);
    for (const [at, value] of writes) if (bytes.length > 0) bytes[at % bytes.length] = value;
    // A third of the batches also lose a random tail.
    const length = cut % 3 === 0 ? cut % (bytes.length + 1) : bytes.length;
    return Buffer.from(bytes.subarray(0, length));
  });

/** `bytes` followed by a well-formed record: a walker that read past the batch's end would decode it. */
export function withRecordBehind(bytes: Buffer): Buffer {
  const event = EVENTS[0]!;
  const raw = encodeRaw(
    event.format.fields,
    event.format.fields.map((field) => ({ bytes: new Uint8Array(field.size).fill(0x41) })),
  );
  return Buffer.concat([bytes, encodeSample({ id: event.ids[0]!, pid: 4242, tid: 4242, time: 42n, cpu: 0, raw })]);
}
