/**
 * The columns a one-pass batch (decodeSingleEvent) fills, kept from batch to batch. Such a batch is
 * filled before its row count is known, so its columns are laid out for as many rows as it could
 * hold; laying them out again for every batch (typed arrays, the field columns, a name array of
 * that size) cost more than filling a batch of a few hundred records. They are laid out again only
 * when a batch could hold more rows than they do, or when the event's arena got new memory (the
 * general walk grew it). What a batch hands out is cut from them (see {@link SingleEventLayout.result}).
 */
import { BytesColumn, type ColumnArena, type EventColumns, StringColumn, restartColumn } from './columns.js';
import { type CompiledColumns, EventColumnsLayout } from './compile-columns.js';
import { MIN_RECORD_BYTES } from './row-index.js';

/** Fewest rows laid out: small batches then share one layout rather than growing it step by step. */
const MIN_CAPACITY = 64;

/**
 * One event's reusable one-pass columns, in its arena. Its names (`comm`) are scratch, written row
 * by row and never shortened; each batch hands out a copy of its rows.
 */
export class SingleEventLayout extends EventColumnsLayout {
  /** Rows the columns hold. */
  capacity = 0;
  private packed: (StringColumn | BytesColumn)[] = [];
  private memory: ArrayBuffer | undefined;

  constructor(
    readonly columns: CompiledColumns,
    private readonly arena: ColumnArena,
  ) {
    super();
  }

  /**
   * Readies the columns for a batch of `length` bytes: laid out again if that many bytes could
   * hold more rows than they do (or their memory went), emptied otherwise.
   */
  prepare(length: number): void {
    const rows = Math.floor(length / MIN_RECORD_BYTES) + 1;
    if (rows > this.capacity || this.memory !== this.arena.memory) this.layOut(rows);
    for (const column of this.packed) restartColumn(column);
  }

  /** The first `rows` rows, their raw data `rawBytes` bytes, as a batch hands them out. */
  result(rows: number, rawBytes: number): EventColumns {
    return {
      length: rows,
      cpu: this.cpu.subarray(0, rows),
      pid: this.pid.subarray(0, rows),
      tid: this.tid.subarray(0, rows),
      // A copy: the names are documented as not reused.
      comm: this.comm.slice(0, rows),
      time: this.time.subarray(0, rows),
      fields: this.columns.withRows(this.fields, rows, rawBytes),
    };
  }

  private layOut(atLeast: number): void {
    let rows = Math.max(MIN_CAPACITY, this.capacity);
    while (rows < atLeast) rows *= 2;
    // Every row's raw data lies inside the batch, which is under rows · MIN_RECORD_BYTES bytes.
    this.layOutIn(this.arena, this.columns, rows, rows * MIN_RECORD_BYTES);
    this.packed = this.stores.filter(
      (store): store is StringColumn | BytesColumn => store instanceof StringColumn || store instanceof BytesColumn,
    );
    this.capacity = rows;
    this.memory = this.arena.memory;
  }
}

/** The layout of each arena (one per event and session), made on the event's first one-pass batch. */
const layouts = new WeakMap<ColumnArena, SingleEventLayout>();

/** The one-pass layout of `columns` in `arena`. */
export function singleEventLayout(columns: CompiledColumns, arena: ColumnArena): SingleEventLayout {
  let layout = layouts.get(arena);
  if (layout?.columns !== columns) {
    layout = new SingleEventLayout(columns, arena);
    layouts.set(arena, layout);
  }
  return layout;
}
