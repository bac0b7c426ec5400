/**
 * Walking a drained batch of sample records into columns: one pass counts rows and raw bytes per
 * event, so every column is allocated once at its exact size; a second pass fills them.
 */
import { type ColumnArena, type ColumnBatch, type Column, type EventColumns, arenaBytes } from './columns.js';
import type { CompiledColumns } from './compile-columns.js';
import type { DecodeErrorCounter } from './field-readers.js';
import { type BatchContext, type BatchErrors, NameCursor, SampleLayout, SampleWalk, isExcluded } from './records.js';

/** What the column walker needs to know about one opened event. */
export interface ColumnSlot {
  name: string;
  columns: CompiledColumns;
  errors: DecodeErrorCounter;
  /** Memory the event's columns reuse from batch to batch. */
  arena: ColumnArena;
}

const NO_ROWS = new Uint32Array(0);

/**
 * One event's rows in the batch being decoded. A class with every field set in the constructor:
 * one stable shape, so V8 does not throw away the optimised walker when a field first appears
 * mid-capture (a deoptimisation, and slow batches while it is optimised again).
 */
class Pending {
  rows = 0;
  rawBytes = 0;
  row = 0;
  cpu = NO_ROWS;
  pid = NO_ROWS;
  tid = NO_ROWS;
  time32 = NO_ROWS;
  time = new BigUint64Array(0);
  comm: string[] = [];
  fields: Record<string, Column> = {};
  stores: unknown[] = [];

  constructor(readonly slot: ColumnSlot) {}

  /** Lays out the sample columns and every field column in the event's reused arena. */
  allocate(): void {
    const rows = this.rows;
    const arena = this.slot.arena;
    arena.reset(arenaBytes(rows * 8) + arenaBytes(rows * 12) + this.slot.columns.arenaBytes(rows, this.rawBytes));
    const time = arena.take(rows * 8);
    this.time = new BigUint64Array(time.buffer, time.offset, rows);
    this.time32 = new Uint32Array(time.buffer, time.offset, rows * 2);
    const ids = arena.take(rows * 12);
    this.cpu = new Uint32Array(ids.buffer, ids.offset, rows);
    this.pid = new Uint32Array(ids.buffer, ids.offset + rows * 4, rows);
    this.tid = new Uint32Array(ids.buffer, ids.offset + rows * 8, rows);
    // Names are shared strings: a fresh array per batch, since the last one was handed out.
    this.comm = new Array<string>(rows);
    const { fields, stores } = this.slot.columns.allocate(rows, this.rawBytes, arena);
    this.fields = fields;
    this.stores = stores;
  }
}

/** First pass: rows and raw bytes per event; returns the rows of known events. */
function countRows(
  view: DataView,
  length: number,
  slots: Map<number, ColumnSlot>,
  context: BatchContext,
  pending: Map<ColumnSlot, Pending>,
  byId: Map<number, Pending>,
): number {
  let total = 0;
  let countedId = -1;
  let counted: Pending | undefined;
  const excluded = context.excludedPids;
  const walk = new SampleWalk(view, length);
  while (walk.next()) {
    if (excluded.length > 0 && isExcluded(excluded, view.getUint32(walk.pos + SampleLayout.pid, true))) continue;
    const id = walk.id;
    let entry = id === countedId ? counted : byId.get(id);
    if (entry === undefined) {
      const slot = slots.get(id);
      if (slot === undefined) continue;
      entry = pending.get(slot);
      if (entry === undefined) pending.set(slot, (entry = new Pending(slot)));
      byId.set(id, entry);
    }
    countedId = id;
    counted = entry;
    if (!walk.rawFits()) continue;
    entry.rows++;
    entry.rawBytes += walk.rawSize;
    total++;
  }
  return total;
}

/** Second pass: every record into its event's columns; counts what it has to skip. */
function fillRows(
  bytes: Buffer,
  view: DataView,
  length: number,
  byId: Map<number, Pending>,
  context: BatchContext,
  errors: BatchErrors | undefined,
): void {
  const walk = new SampleWalk(view, length);
  const names = new NameCursor(context.names);
  const excluded = context.excludedPids;
  // Consecutive records mostly belong to one event: keep its columns in locals between records.
  let lastId = -1;
  let entry: Pending | undefined;
  let cpu = NO_ROWS;
  let pid = NO_ROWS;
  let tid = NO_ROWS;
  let time32 = NO_ROWS;
  let comm: string[] = [];
  while (walk.next()) {
    const id = walk.id;
    if (id !== lastId) {
      entry = byId.get(id);
      lastId = id;
      if (entry !== undefined) ({ cpu, pid, tid, time32, comm } = entry);
    }
    if (entry === undefined || !walk.rawFits()) {
      if (errors) errors.malformed++;
      continue;
    }
    const pos = walk.pos;
    const processId = view.getUint32(pos + SampleLayout.pid, true);
    if (excluded.length > 0 && isExcluded(excluded, processId)) continue;
    const r = entry.row++;
    const threadId = view.getUint32(pos + SampleLayout.tid, true);
    cpu[r] = view.getUint32(pos + SampleLayout.cpu, true);
    pid[r] = processId;
    tid[r] = threadId;
    comm[r] = names.nameOf(threadId, walk);
    time32[2 * r] = view.getUint32(pos + SampleLayout.time, true);
    time32[2 * r + 1] = view.getUint32(pos + SampleLayout.time + 4, true);
    const errorCounter = errors ? entry.slot.errors : UNCOUNTED;
    entry.slot.columns.fill(bytes, view, walk.rawStart, walk.rawSize, r, entry.stores, errorCounter);
  }
  if (walk.endedEarly() && errors) errors.malformed++; // a record whose size overruns the batch ends the walk
}

/** Where errors go when another decoder of the same batch already counted them. */
const UNCOUNTED: DecodeErrorCounter = { count: 0 };

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
  const pending = new Map<ColumnSlot, Pending>();
  const byId = new Map<number, Pending>();
  const total = countRows(view, length, slots, context, pending, byId);
  for (const entry of pending.values()) entry.allocate();
  fillRows(bytes, view, length, byId, context, errors);
  const events = new Map<string, EventColumns>();
  for (const entry of pending.values()) {
    events.set(entry.slot.name, {
      length: entry.rows,
      cpu: entry.cpu,
      pid: entry.pid,
      tid: entry.tid,
      comm: entry.comm,
      time: entry.time,
      fields: entry.fields,
    });
  }
  return { length: total, events };
}
