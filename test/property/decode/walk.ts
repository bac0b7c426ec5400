/**
 * Runs the record walkers over a batch with fresh slots (zeroed counters, decoders compiled once)
 * and returns what they produced in the comparable form of the generated expectations.
 */
import { type ColumnSlot, decodeColumns } from '../../../src/decode/column-records.js';
import { batchContext } from '../../helpers/batch-context.js';
import { ColumnArena } from '../../../src/decode/columns.js';
import { compileColumns } from '../../../src/decode/compile-columns.js';
import { compileDecoder } from '../../../src/decode/compile.js';
import { type EventSlot, type TraceEvent, decodeRecords } from '../../../src/decode/records.js';
import { columnComparable, objectComparable } from '../arbitraries/field-values.js';
import { EVENTS, type EventUnderTest, type GeneratedRecord } from '../arbitraries/sample-batches.js';

/** One decoded event in comparable form. */
export type WalkedEvent = GeneratedRecord['expected'];

/** What a walker made of a batch. */
export interface WalkOutcome {
  /** Events by event name, each list in batch order (columns group rows by event). */
  byEvent: Map<string, WalkedEvent[]>;
  /** Rows delivered in total. */
  delivered: number;
  malformed: number;
  /** Decode errors by event name. */
  decodeErrors: Map<string, number>;
}

const objectDecoders = EVENTS.map((event) => compileDecoder(event.format));
const columnFillers = EVENTS.map((event) => compileColumns(event.format));

/** Groups events by name, keeping their order; every event under test gets a (maybe empty) list. */
export function groupByEvent(events: readonly WalkedEvent[]): Map<string, WalkedEvent[]> {
  const groups = new Map(EVENTS.map((event) => [event.name, [] as WalkedEvent[]]));
  for (const event of events) groups.get(event.event)!.push(event);
  return groups;
}

function viewOf(bytes: Buffer): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Runs decodeRecords over bytes [0, length), as a session of the `session` events (all under test unless
 * given): the ids of other events are unknown. Both ids of an event share one slot, as both rings do.
 */
export function walkObjects(
  bytes: Buffer,
  length = bytes.length,
  session: readonly EventUnderTest[] = EVENTS,
): WalkOutcome & { events: WalkedEvent[]; slotDelivered: Map<string, number> } {
  const slots = new Map<number, EventSlot>();
  for (const event of session) {
    const decode = objectDecoders[EVENTS.indexOf(event)]!;
    const slot: EventSlot = { name: event.name, decode, errors: { count: 0 }, delivered: 0, chainDepth: -1 };
    for (const id of event.ids) slots.set(id, slot);
  }
  const out: TraceEvent[] = [];
  const errors = { malformed: 0 };
  decodeRecords(bytes, viewOf(bytes), length, slots, batchContext(), out, errors);
  const events = out.map(({ event, pid, tid, cpu, time, fields }) => ({
    event,
    pid,
    tid,
    cpu,
    time,
    fields: Object.fromEntries(Object.entries(fields).map(([name, value]) => [name, objectComparable(value)])),
  }));
  const unique = new Set(slots.values());
  return {
    events,
    byEvent: groupByEvent(events),
    delivered: out.length,
    malformed: errors.malformed,
    decodeErrors: new Map([...unique].map((slot) => [slot.name, slot.errors.count])),
    slotDelivered: new Map([...unique].map((slot) => [slot.name, slot.delivered])),
  };
}

/** The column slots of a session of `session`, by sample id. */
export function columnSlotsOf(session: readonly EventUnderTest[]): Map<number, ColumnSlot> {
  const slots = new Map<number, ColumnSlot>();
  for (const event of session) {
    const slot: ColumnSlot = {
      name: event.name,
      columns: columnFillers[EVENTS.indexOf(event)]!,
      errors: { count: 0 },
      arena: new ColumnArena(),
    };
    for (const id of event.ids) slots.set(id, slot);
  }
  return slots;
}

/** Runs decodeColumns over bytes [0, length) as a session of the `session` events (see walkObjects) and reads every row back. */
export function walkColumns(
  bytes: Buffer,
  length = bytes.length,
  session: readonly EventUnderTest[] = EVENTS,
): WalkOutcome {
  const slots = columnSlotsOf(session);
  const errors = { malformed: 0 };
  const batch = decodeColumns(bytes, viewOf(bytes), length, slots, batchContext(), errors);
  const byEvent = groupByEvent([]);
  for (const event of EVENTS) {
    const columns = batch.events.get(event.name);
    if (columns === undefined) continue;
    const rows = byEvent.get(event.name)!;
    for (let row = 0; row < columns.length; row++) {
      const fields = Object.fromEntries(
        event.format.fields.map((field) => [field.name, columnComparable(field, columns.fields[field.name]!, row)]),
      );
      rows.push({
        event: event.name,
        pid: columns.pid[row]!,
        tid: columns.tid[row]!,
        cpu: columns.cpu[row]!,
        time: columns.time[row]!,
        fields,
      });
    }
  }
  return {
    byEvent,
    delivered: batch.length,
    malformed: errors.malformed,
    decodeErrors: new Map([...new Set(slots.values())].map((slot) => [slot.name, slot.errors.count])),
  };
}
