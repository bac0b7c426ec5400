/**
 * Delivery to a session's takers: batch listeners, column listeners and async iterators. It says
 * which forms are wanted and whether the takers can take more (backpressure), and hands decoded
 * batches over, counting what it delivers.
 */
import type { ColumnBatch } from '../decode/columns.js';
import { BatchQueue } from './batch-queue.js';
import type { SessionCounters } from './stats.js';

/** Calls a user's listener; its exception surfaces as uncaught, but not inside the native callback. */
function callSafely<T>(listener: (batch: T) => void, batch: T): void {
  try {
    listener(batch);
  } catch (error) {
    process.nextTick(() => {
      throw error;
    });
  }
}

/** The takers of a session's batches of events `E`. */
export class Delivery<E> {
  private readonly listeners = new Set<(batch: E[]) => void>();
  private readonly columnListeners = new Set<(batch: ColumnBatch) => void>();
  private readonly iterators = new Set<BatchQueue<E>>();

  /** @param maxQueuedBatches batches an iterator may hold before it counts as full. */
  constructor(
    private readonly counters: SessionCounters,
    private readonly maxQueuedBatches: number,
  ) {}

  /** True when a listener or iterator takes decoded objects. */
  get wantsObjects(): boolean {
    return this.listeners.size > 0 || this.iterators.size > 0;
  }

  /** True when a column listener takes columnar batches. */
  get wantsColumns(): boolean {
    return this.columnListeners.size > 0;
  }

  /** True when anyone takes batches in any form. */
  get hasTakers(): boolean {
    return this.wantsObjects || this.wantsColumns;
  }

  /** True when iterators are the only takers and all are full: leave data in the rings. */
  get backpressured(): boolean {
    if (this.listeners.size > 0 || this.columnListeners.size > 0) return false;
    for (const iterator of this.iterators) {
      if (iterator.length < this.maxQueuedBatches) return false;
    }
    return true;
  }

  /** Adds a batch listener; returns the function that removes it. */
  addListener(listener: (batch: E[]) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Adds a column listener; returns the function that removes it. */
  addColumnListener(listener: (batch: ColumnBatch) => void): () => void {
    this.columnListeners.add(listener);
    return () => {
      this.columnListeners.delete(listener);
    };
  }

  /** Adds an async iterator; `onPull` runs when its consumer waits for a batch. */
  addIterator(onPull: () => void): AsyncIterableIterator<E[]> {
    const queue = new BatchQueue<E>(onPull, () => this.iterators.delete(queue));
    this.iterators.add(queue);
    return queue;
  }

  /** Hands a batch of objects to every iterator and listener; an empty batch is not delivered. */
  deliverObjects(batch: E[]): void {
    if (batch.length === 0) return;
    this.counters.countBatch(batch.length);
    for (const iterator of this.iterators) iterator.push(batch);
    for (const listener of this.listeners) callSafely(listener, batch);
  }

  /** Hands a columnar batch to every column listener (the pump counts it when no objects did). */
  deliverColumns(columns: ColumnBatch): void {
    for (const listener of this.columnListeners) callSafely(listener, columns);
  }

  /** Ends every iteration (after the batches it holds) and forgets the iterators. */
  endIterators(): void {
    for (const iterator of this.iterators) iterator.end();
    this.iterators.clear();
  }
}
