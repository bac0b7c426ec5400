/**
 * Memory the serializers write into. The caller owns each returned Buffer until its asynchronous
 * write completes, so batches are carved one after another out of a slab, and the next slab is
 * taken when a batch might not fit. A slab is reused once every buffer carved from it has been
 * handed back (EventWriter.recycle); a caller that hands nothing back gets fresh slabs, and the
 * old ones are garbage. Reuse matters: fresh memory costs a page fault per 4 KiB on first touch,
 * which on this project's VM halved jsonl throughput (benchmarks/output-micro.ts).
 */

/** Slab size: room for a few full batches (a 256 KiB batch of getppid records is ~600 KiB of jsonl). */
const SLAB_BYTES = 4 * 1024 * 1024;
/** Free slabs kept for reuse, at most. */
const MAX_FREE_SLABS = 4;

/** One slab and how many of the buffers carved from it are still out. */
class Slab {
  readonly buffer: Buffer;
  /** The slab as a DataView: constants are stored four bytes at a time through it. */
  readonly view: DataView;
  outstanding = 0;

  constructor(bytes: number) {
    this.buffer = Buffer.allocUnsafeSlow(bytes);
    this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.length);
  }
}

/** Output memory carved out of slabs. */
export class OutputMemory {
  private current = new Slab(0);
  private used = 0;
  private readonly free: Slab[] = [];
  /** The slab of each buffer handed out and not yet handed back. */
  private readonly handedOut = new WeakMap<Buffer, Slab>();

  /** Room for `bytes` bytes: the buffer to write into (and a DataView on it) and where to start. */
  reserve(bytes: number): { buffer: Buffer; view: DataView; start: number } {
    if (this.used + bytes > this.current.buffer.length) this.nextSlab(bytes);
    return { buffer: this.current.buffer, view: this.current.view, start: this.used };
  }

  /** Hands over [start, end) of the buffer reserve() returned: the caller owns it from now on. */
  take(start: number, end: number): Buffer {
    this.used = Math.ceil(end / 8) * 8;
    const bytes = this.current.buffer.subarray(start, end);
    this.current.outstanding++;
    this.handedOut.set(bytes, this.current);
    return bytes;
  }

  /** `bytes` (from take()) is written: its memory may be reused. Anything else is ignored. */
  recycle(bytes: Buffer): void {
    const slab = this.handedOut.get(bytes);
    if (slab === undefined) return;
    this.handedOut.delete(bytes);
    slab.outstanding--;
    if (slab.outstanding === 0 && slab !== this.current) this.release(slab);
  }

  /**
   * Makes `count` slabs ready for reuse (at most MAX_FREE_SLABS), their pages touched: the first
   * batches of a flood then meet no fresh memory, whose first touch cost up to ~40 µs a page on
   * this project's VM (a 600 KiB batch took 24 ms instead of 0.6).
   */
  prepare(count: number): void {
    while (this.free.length < Math.min(count, MAX_FREE_SLABS)) {
      const slab = new Slab(SLAB_BYTES);
      slab.buffer.fill(0);
      this.free.push(slab);
    }
  }

  private nextSlab(bytes: number): void {
    if (this.current.outstanding === 0) this.release(this.current);
    const reusable = this.free.findIndex((slab) => slab.buffer.length >= bytes);
    this.current = reusable >= 0 ? this.free.splice(reusable, 1)[0]! : new Slab(Math.max(SLAB_BYTES, bytes));
    this.used = 0;
  }

  private release(slab: Slab): void {
    if (this.free.length < MAX_FREE_SLABS && slab.buffer.length > 0) this.free.push(slab);
  }
}
