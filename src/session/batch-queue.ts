/** A bounded queue of batches behind an async iterator. */

/** Queues batches for one async iterator; `end()` finishes it after the queued ones. */
export class BatchQueue<T> implements AsyncIterableIterator<T[]> {
  private readonly queued: T[][] = [];
  private waiting: ((result: IteratorResult<T[]>) => void) | undefined;
  private ended = false;

  /** @param onPull called when the consumer asks for more and the queue is empty. */
  constructor(
    private readonly onPull: () => void,
    private readonly onReturn: () => void,
  ) {}

  /** Number of batches not yet taken by the consumer. */
  get length(): number {
    return this.queued.length;
  }

  /** Hands a batch to the waiting consumer, or queues it. */
  push(batch: T[]): void {
    if (this.ended) return;
    const waiting = this.waiting;
    if (waiting) {
      this.waiting = undefined;
      waiting({ value: batch, done: false });
    } else {
      this.queued.push(batch);
    }
  }

  /** Ends the iteration once the queued batches are taken. */
  end(): void {
    this.ended = true;
    const waiting = this.waiting;
    if (waiting && this.queued.length === 0) {
      this.waiting = undefined;
      waiting({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<T[]>> {
    const batch = this.queued.shift();
    if (batch !== undefined) return Promise.resolve({ value: batch, done: false });
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.onPull();
    });
  }

  return(): Promise<IteratorResult<T[]>> {
    this.queued.length = 0;
    this.end();
    this.onReturn();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
