/**
 * Walking a drained batch of sample records into columns. One walk indexes the batch: the rows of
 * each event and their raw bytes, so that every column is allocated once at its exact size, and
 * where each row's record is. Then each event's columns are filled from that index, one event at a
 * time, in loops that do nothing but copy: the walk's checks and the event lookup happen once per
 * record, not once per pass.
 *
 * A session of one event (the usual flood) skips the index: its event's own generated filler walks
 * the batch and fills columns laid out for as many rows as the batch can hold, in one pass over
 * the records rather than two (getppid records: ~20 against ~30 ns a row on the 2-core bench
 * machine). A batch that is not all sound records of the event is then decoded the general way.
 */
import type { ColumnArena, ColumnBatch, EventColumns } from './columns.js';
import { type CompiledColumns, EventColumnsLayout } from './compile-columns.js';
import type { DecodeErrorCounter } from './field-readers.js';
import {
  type BatchContext,
  type BatchErrors,
  ExclusionCursor,
  NameCursor,
  SampleLayout,
  recordSize,
  sampleId,
} from './records.js';
import { RowIndex } from './row-index.js';
import { singleEventLayout } from './single-event-layout.js';
import { rawSizeOffset } from '../symbols/call-chain.js';
import { BatchStacks } from '../symbols/batch-stacks.js';

/** What the column walker needs to know about one opened event. */
export interface ColumnSlot {
  name: string;
  columns: CompiledColumns;
  errors: DecodeErrorCounter;
  /** Memory the event's columns reuse from batch to batch. */
  arena: ColumnArena;
}

/** One event's rows in the batch being decoded, and its columns once they are laid out. */
class Pending extends EventColumnsLayout {
  rows = 0;
  rawBytes = 0;
  /** Where the event's rows start in the index once it is grouped by event. */
  first = 0;

  constructor(
    readonly slot: ColumnSlot,
    /** The event's number in this batch, in order of first appearance. */
    readonly ordinal: number,
  ) {
    super();
  }

  /** Adds `rows` rows holding `rawBytes` bytes of raw data. */
  count(rows: number, rawBytes: number): void {
    this.rows += rows;
    this.rawBytes += rawBytes;
  }

  /** Lays out the sample columns and every field column in the event's reused arena. */
  allocate(): void {
    this.layOutIn(this.slot.arena, this.slot.columns, this.rows, this.rawBytes);
    // Names are shared strings: a fresh array per batch, since the last one was handed out.
    this.comm = new Array<string>(this.rows);
  }
}

/** The events of one batch, in order of first appearance, and how sample ids map to them. */
interface BatchEvents {
  list: Pending[];
  byId: Map<number, Pending>;
}

/** The event of sample id `id` (which a slot has), created on its first record. */
function eventOf(id: number, slots: Map<number, ColumnSlot>, events: BatchEvents): Pending {
  let entry = events.byId.get(id);
  if (entry !== undefined) return entry;
  const slot = slots.get(id)!;
  // Several ids (one per ring) share a slot, and so one event.
  entry = events.list.find((candidate) => candidate.slot === slot);
  if (entry === undefined) events.list.push((entry = new Pending(slot, events.list.length)));
  events.byId.set(id, entry);
  return entry;
}

/**
 * The walk: every row of a known event into `index` (in ring order) with its counts. A record with
 * an unknown id or a raw part larger than itself, and a record whose size overruns the batch
 * (which ends the walk), count as malformed when `errors` is given, whatever its process (as in
 * decodeRecords). An event appears in the batch once a record of it from a process not excluded
 * is seen, even if that record is malformed.
 */
function indexRows(
  view: DataView,
  length: number,
  slots: Map<number, ColumnSlot>,
  context: BatchContext,
  index: RowIndex,
  events: BatchEvents,
  errors: BatchErrors | undefined,
): void {
  const excluded = new ExclusionCursor(context.excludedPids);
  const { positions, owners } = index;
  // Consecutive records mostly belong to one event: look its id up once per run, and count its
  // rows in locals, added to the event when the run ends.
  let lastLow = -1;
  let lastHigh = -1;
  let id = -1;
  let known = false;
  let chained = false;
  let entry: Pending | undefined;
  let rows = 0;
  let rawBytes = 0;
  let ordinal = 0;
  let count = 0;
  let pos = 0;
  for (let size = 0; (size = recordSize(view, pos, length, size)) >= 0; pos += size) {
    const low = view.getUint32(pos + SampleLayout.id, true);
    const high = view.getUint32(pos + SampleLayout.id + 4, true);
    if (low !== lastLow || high !== lastHigh) {
      if (entry !== undefined) entry.count(rows, rawBytes);
      rows = rawBytes = 0;
      lastLow = low;
      lastHigh = high;
      id = sampleId(view, pos);
      const slot = slots.get(id);
      known = slot !== undefined;
      chained = slot !== undefined && slot.columns.chainDepth >= 0;
      entry = events.byId.get(id);
      ordinal = entry?.ordinal ?? 0;
    }
    if (!known) {
      if (errors) errors.malformed++;
      continue;
    }
    const left = excluded.has(view.getUint32(pos + SampleLayout.pid, true));
    if (!left && entry === undefined) {
      entry = eventOf(id, slots, events);
      ordinal = entry.ordinal;
    }
    const rawSizeAt = chained ? rawSizeOffset(view, pos, size) : pos + SampleLayout.rawSize;
    const rawSize = rawSizeAt < 0 ? -1 : view.getUint32(rawSizeAt, true);
    if (rawSize < 0 || rawSizeAt + 4 + rawSize > pos + size) {
      if (errors) errors.malformed++;
      continue;
    }
    if (left) continue;
    rows++;
    rawBytes += rawSize;
    positions[count] = pos;
    owners[count++] = ordinal;
  }
  if (entry !== undefined) entry.count(rows, rawBytes);
  index.length = count;
  if (pos < length && errors) errors.malformed++;
}

/** Where errors go when another decoder of the same batch already counted them. */
const UNCOUNTED: DecodeErrorCounter = { count: 0 };

/** The index every batch reuses (decoding is synchronous: one batch at a time). */
const sharedIndex = new RowIndex();

/** The slot every sample id of `slots` maps to, or undefined when there are several (or none). */
export function onlySlot(slots: ReadonlyMap<number, ColumnSlot>): ColumnSlot | undefined {
  let only: ColumnSlot | undefined;
  for (const slot of slots.values()) {
    if (only === undefined) only = slot;
    else if (slot !== only) return undefined;
  }
  return only;
}

/**
 * Decodes a batch of `slot`'s records alone in one pass (see the module comment), or returns
 * undefined, having counted nothing, when the batch holds anything else: another event's record,
 * an unknown id, a record that is malformed. Decode errors go to the slot's counter when `count`.
 */
export function decodeSingleEvent(
  bytes: Buffer,
  view: DataView,
  length: number,
  slots: ReadonlyMap<number, ColumnSlot>,
  slot: ColumnSlot,
  context: BatchContext,
  count: boolean,
): ColumnBatch | undefined {
  const layout = singleEventLayout(slot.columns, slot.arena);
  layout.prepare(length);
  const walk = {
    slots,
    slot,
    excluded: new ExclusionCursor(context.excludedPids),
    names: new NameCursor(context.names),
    rawBytes: 0,
  };
  // Errors are counted apart until the walk is known to stand: a batch decoded again must not count twice.
  const decodeErrors = { count: 0 };
  const rows = slot.columns.fillWalking(bytes, view, length, walk, layout, layout.stores, decodeErrors);
  if (rows < 0) return undefined;
  if (count) slot.errors.count += decodeErrors.count;
  const events = new Map<string, EventColumns>();
  if (rows > 0) events.set(slot.name, layout.result(rows, walk.rawBytes));
  return { length: rows, events };
}

/**
 * Decodes `length` bytes of sample records into one {@link ColumnBatch}. Records with an unknown
 * id or impossible sizes are skipped and counted in `errors`, decode errors in each slot's
 * counter — neither when `errors` is undefined (the batch was counted already). Nothing is read
 * outside the batch.
 */
export function decodeColumns(
  bytes: Buffer,
  view: DataView,
  length: number,
  slots: Map<number, ColumnSlot>,
  context: BatchContext,
  errors: BatchErrors | undefined,
): ColumnBatch {
  // Records with call chains are decoded the general way: the one-pass fillers read fixed layouts.
  const only = length > 0 ? onlySlot(slots) : undefined;
  const single = only !== undefined && only.columns.chainDepth < 0 ? only : undefined;
  if (single !== undefined) {
    const batch = decodeSingleEvent(bytes, view, length, slots, single, context, errors !== undefined);
    if (batch !== undefined) return batch;
  }
  const events: BatchEvents = { list: [], byId: new Map() };
  const index = sharedIndex;
  index.reset(length);
  indexRows(view, length, slots, context, index, events, errors);
  const positions = index.byOwner(events.list.map((entry) => entry.rows));
  const names = new NameCursor(context.names);
  let first = 0;
  for (const entry of events.list) {
    entry.first = first;
    first += entry.rows;
    entry.allocate();
    const errorCounter = errors ? entry.slot.errors : UNCOUNTED;
    entry.slot.columns.fill(bytes, view, positions, entry.first, entry.rows, entry, names, entry.stores, errorCounter);
  }
  const batch = new Map<string, EventColumns>();
  const stacks = context.stacks === undefined ? undefined : new BatchStacks(context.stacks);
  for (const entry of events.list) {
    const columns: EventColumns = {
      length: entry.rows,
      cpu: entry.cpu,
      pid: entry.pid,
      tid: entry.tid,
      comm: entry.comm,
      time: entry.time,
      fields: entry.fields,
    };
    const depth = entry.slot.columns.chainDepth;
    if (depth < 0 || stacks === undefined) batch.set(entry.slot.name, columns);
    else
      batch.set(entry.slot.name, { ...columns, stack: stacks.column(view, positions, entry.first, entry.rows, depth) });
  }
  return stacks === undefined
    ? { length: index.length, events: batch }
    : { length: index.length, events: batch, stacks: stacks.list };
}
