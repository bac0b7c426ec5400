/**
 * Writing the session's events: each columnar batch serialized by the EventWriter and written to
 * the output, at most `--count` of them, with backpressure: while the output is full, the feed is
 * paused and the records wait in the rings (where the kernel counts what does not fit as lost).
 */
import type { Writable } from 'node:stream';

import type { ColumnBatch } from '../../decode/columns.js';
import type { EventWriter } from '../../output/index.js';
import type { ColumnFeed } from './column-feed.js';
import { writable } from './streams.js';
import type { TraceRun, WriteWrapper } from './trace-run.js';

/** Writes events to the output for one run. */
export class EventSink {
  /** Events the kernel took (counted in write callbacks): a summary never claims lines that were lost. */
  private writtenRows = 0;
  private remaining: number;
  /** Set by begin(), when the time origin is known: batches before it are none (the session is not started). */
  private writer: EventWriter | undefined;
  /** The feed of the batches this sink takes: paused while the output is full. */
  private feed: ColumnFeed | undefined;
  /** True while the feed is paused for a full output. */
  private waiting = false;

  /**
   * @param limit events to write before the run ends (`--count`; Infinity: no limit).
   * @param aroundWrite makes each write, e.g. between erasing and restoring a status line on the same terminal.
   */
  constructor(
    private readonly run: TraceRun,
    private readonly out: Writable,
    limit: number,
    private readonly aroundWrite: WriteWrapper,
  ) {
    this.remaining = limit;
  }

  /** Events written so far. */
  get written(): number {
    return this.writtenRows;
  }

  /** Takes the batches of `feed`, which it pauses while the output is full. */
  attach(feed: ColumnFeed): void {
    this.feed = feed;
  }

  /** Starts writing with `writer`: first its header (CSV's first line), if the format has one. */
  begin(writer: EventWriter): void {
    this.writer = writer;
    const header = writer.header();
    if (header.length > 0) this.out.write(header);
  }

  /** Serializes and writes what `batch` holds, up to the limit; the listener of the feed. */
  readonly take = (batch: ColumnBatch): void => {
    if (this.writer === undefined || this.remaining === 0 || this.run.outputClosed) return;
    const writer = this.writer;
    const { bytes, rows } = writer.write(batch, this.remaining);
    this.remaining -= rows;
    if (rows > 0) {
      const accepted = this.aroundWrite(() =>
        this.out.write(bytes, (error) => {
          if (!error) this.writtenRows += rows;
          // The stream is done with the bytes: their memory serves a later batch (no fresh pages).
          writer.recycle(bytes);
        }),
      );
      // A stream holding nothing has written the bytes already (a file's write(2) is done when it
      // returns): their memory is free now, not only when the callback runs after the whole drain
      // pass, which made every pass of a flood write into fresh memory (a page fault per 4 KiB).
      if (this.out.writableLength === 0) writer.recycle(bytes);
      if (!accepted) this.waitForRoom();
    }
    if (this.remaining === 0) this.run.finishAtLimit();
  };

  /** Pauses the feed until the output can take more, or the run ends. */
  private waitForRoom(): void {
    const feed = this.feed;
    if (feed === undefined || this.waiting) return;
    this.waiting = true;
    feed.pause();
    void writable(this.out, this.run.stopped).then(() => {
      this.waiting = false;
      feed.resume();
    });
  }
}
