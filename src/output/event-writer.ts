/**
 * EventWriter: columnar batches to bytes in one of the output formats, by serializers compiled
 * per event (see row-code.ts), into output memory reused across batches (see output-memory.ts),
 * with no object per event.
 *
 * Every format writes rows in time order across the batch's events and CPUs (see time-order.ts):
 * merging the batch's time-ordered runs costs less than the noise of the measurement
 * (benchmarks/output-micro.ts, getppid jsonl: 3.98 M rows/s in time order, 4.27 M in batch order;
 * csv 4.61 M and 4.12 M), and a stream in time order is what a reader expects. Batches follow one
 * another as the session delivers them: without the session's `sortByTime`, a batch can hold an
 * event of another CPU earlier than the last one of the batch before.
 *
 * Callers should hand each written buffer back with recycle(): fresh memory costs a page fault
 * per 4 KiB (getppid jsonl: 4.0 M rows/s with buffers handed back, 2.7 M without).
 */
import type { ColumnBatch } from '../decode/columns.js';
import type { EventFormat } from '../decode/format.js';
import { warmUntilOptimised } from '../decode/warm-loop.js';
import { CsvCompiler } from './csv.js';
import { WORD_SLACK } from './digit-words.js';
import { JsonlCompiler } from './jsonl.js';
import type { OutputOptions } from './options.js';
import { OutputMemory } from './output-memory.js';
import { type CompiledRows, type PreparedRows, commBytesBound } from './row-code.js';
import { ESCAPE_EXPANSION } from './strings.js';
import { TextCompiler } from './text.js';
import { StackSuffix } from './stack-suffix.js';
import { RowOrder } from './time-order.js';
import { syntheticBatch } from './warm-up.js';

/** What compiles an event's serializer in one format. */
interface Compiler {
  compile(event: string, fields: EventFormat['fields']): CompiledRows;
  /** Where the time written counts from, for the formats that write a relative time. */
  setTimeOrigin?(timeOrigin: bigint): void;
}

/** Time warmUp() may spend (ms) on one event: getppid jsonl took ~80 ms to be optimised. */
const EVENT_WARM_UP_MS = 100;
/** And on all: a session of many events warms the first few. */
const WARM_UP_BUDGET_MS = 150;
/** Output slabs made ready by the warm-up: one batch is written while the one before is still out. */
const SPARE_SLABS = 2;

const EMPTY = Buffer.alloc(0);

/** Serializes columnar batches in one format; see the module comment. */
export class EventWriter {
  private readonly compiler: Compiler;
  private readonly headerText: string;
  /** Serializers compiled so far (on an event's first row: a glob may name hundreds of events). */
  private readonly compiled = new Map<string, CompiledRows>();
  private readonly memory = new OutputMemory();
  private readonly order = new RowOrder();
  /** Rows in time order (true) or each event's rows in turn (false: `order: 'batch'`). */
  private readonly timeOrdered: boolean;
  /** How the format shows call stacks (none in csv). */
  private readonly stackSuffix: StackSuffix | undefined;

  /** formats: session.formats (event name → EventFormat from src/decode/format.ts). */
  constructor(
    private readonly formats: ReadonlyMap<string, EventFormat>,
    options: OutputOptions,
  ) {
    this.timeOrdered = options.order !== 'batch';
    this.stackSuffix = StackSuffix.of(options.format);
    switch (options.format) {
      case 'jsonl':
        this.compiler = new JsonlCompiler();
        this.headerText = '';
        break;
      case 'csv': {
        const csv = new CsvCompiler(formats);
        this.compiler = csv;
        this.headerText = csv.header();
        break;
      }
      case 'text':
        this.compiler = new TextCompiler(options);
        this.headerText = '';
        break;
      default:
        throw new Error(`unknown output format ${JSON.stringify(options.format)}: use text, jsonl or csv`);
    }
  }

  /** Bytes to write before the first event: the CSV header line; empty for text and jsonl. */
  header(): Buffer {
    return Buffer.from(this.headerText, 'utf8');
  }

  /**
   * Serializes the first `limit` rows (in output order) of `batch`. Returns a Buffer the caller
   * owns (it is written asynchronously) and how many rows it holds (min(limit, batch.length)).
   * Call stacks are written in jsonl and text, not in csv.
   */
  write(batch: ColumnBatch, limit: number): { bytes: Buffer; rows: number } {
    const rows = Math.max(0, Math.min(limit, batch.length));
    if (rows === 0) return { bytes: EMPTY, rows: 0 };
    const serializers: CompiledRows[] = [];
    const prepared: PreparedRows[] = [];
    const times: Uint32Array[] = [];
    const lengths: number[] = [];
    const stackRows: (Uint32Array | undefined)[] = [];
    const { stacks = [] } = batch;
    const suffix = this.stackSuffix;
    let bound = 0;
    for (const [name, columns] of batch.events) {
      const serializer = this.serializerOf(name);
      const event = serializer.prepare(columns);
      serializers.push(serializer);
      prepared.push(event);
      times.push(event.time);
      lengths.push(columns.length);
      bound += rowsBound(serializer, event);
      const stackRow = suffix === undefined ? undefined : columns.stack;
      stackRows.push(stackRow);
      if (stackRow !== undefined) bound += suffix!.bound(stackRow, stacks);
    }
    const order = this.order;
    if (this.timeOrdered) order.timeOrder(times, lengths, rows);
    else order.batchOrder(lengths, rows);
    // Numbers are stored a word at a time: the last may reach past the bound (see digit-words.ts).
    const { buffer, view, start } = this.memory.reserve(bound + WORD_SLACK);
    let p = start;
    for (let s = 0; s < order.count; s++) {
      const e = order.event[s]!;
      const stackRow = stackRows[e];
      if (stackRow === undefined) {
        p = serializers[e]!.rows(prepared[e]!, buffer, view, p, order.from[s]!, order.to[s]!);
        continue;
      }
      for (let r = order.from[s]!; r < order.to[s]!; r++) {
        p = serializers[e]!.rows(prepared[e]!, buffer, view, p, r, r + 1);
        p = suffix!.write(buffer, p, stacks[stackRow[r]!]!);
      }
    }
    return { bytes: this.memory.take(start, p), rows };
  }

  /**
   * Optional: `bytes`, a Buffer write() returned, has been written and is not used any more, so its
   * memory can serve a later batch. Writers that hand buffers back run without fresh memory (whose
   * page faults cost as much as the serializing); without it, every buffer stays the caller's.
   */
  recycle(bytes: Buffer): void {
    this.memory.recycle(bytes);
  }

  /**
   * Compiles the serializers of the formats' events and runs each over synthetic rows (see
   * warm-up.ts) until V8 has optimised it (see warmUntilOptimised), for at most EVENT_WARM_UP_MS
   * each and `budgetMs` in all. Call it before the capture starts, so that a flood meets
   * optimised serializers rather than the compiler. Returns the passes' times (ms) by event.
   */
  warmUp(budgetMs = WARM_UP_BUDGET_MS): Map<string, number[]> {
    const until = performance.now() + budgetMs;
    this.memory.prepare(SPARE_SLABS);
    const passTimes = new Map<string, number[]>();
    for (const [name, format] of this.formats) {
      const now = performance.now();
      if (now >= until) break;
      const batch = syntheticBatch(name, format.fields);
      const write = (rows: number) => {
        this.recycle(this.write(batch, rows).bytes);
      };
      passTimes.set(name, warmUntilOptimised(write, batch.length, Math.min(until, now + EVENT_WARM_UP_MS)));
    }
    return passTimes;
  }

  /** Text output: counts times from `timeOrigin` (CLOCK_MONOTONIC ns) from now on, e.g. after warmUp(). */
  setTimeOrigin(timeOrigin: bigint): void {
    this.compiler.setTimeOrigin?.(timeOrigin);
  }

  private serializerOf(event: string): CompiledRows {
    let serializer = this.compiled.get(event);
    if (serializer === undefined) {
      const format = this.formats.get(event);
      if (format === undefined) {
        throw new Error(`EventWriter: batch has event ${JSON.stringify(event)}, which is not among its formats`);
      }
      serializer = this.compiler.compile(event, format.fields);
      this.compiled.set(event, serializer);
    }
    return serializer;
  }
}

/** Most bytes all rows of one event take. */
function rowsBound(serializer: CompiledRows, event: PreparedRows): number {
  let bytes = event.length * serializer.fixedBytes + ESCAPE_EXPANSION * event.packedBytes;
  const comm = event.comm;
  for (let r = 0; r < event.length; r++) bytes += commBytesBound(comm[r]!);
  return bytes;
}
