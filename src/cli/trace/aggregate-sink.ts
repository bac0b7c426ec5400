/**
 * An aggregation in place of events: every batch goes into it, and its table is written at the end
 * and, with `--interval SEC`, every SEC seconds under a line with the time and followed by an empty line, after which it starts over.
 */
import type { Aggregation } from '../../aggregate/index.js';
import type { ColumnBatch } from '../../decode/columns.js';
import type { TraceRun, WriteWrapper } from './trace-run.js';

/** `date` as HH:MM:SS, local time. */
function clockTime(date: Date): string {
  return [date.getHours(), date.getMinutes(), date.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** Feeds one aggregation for one run and writes its tables. */
export class AggregateSink {
  private timer: NodeJS.Timeout | undefined;

  /**
   * @param intervalSeconds `--interval` (undefined: one table, at the end).
   * @param aroundWrite makes each write, e.g. between erasing and restoring a status line on the same terminal.
   */
  constructor(
    private readonly run: TraceRun,
    private readonly out: NodeJS.WritableStream,
    private readonly aggregation: Aggregation,
    private readonly intervalSeconds: number | undefined,
    private readonly aroundWrite: WriteWrapper,
  ) {}

  /** Adds a batch; the listener of the feed. */
  readonly take = (batch: ColumnBatch): void => {
    this.aggregation.add(batch);
  };

  /** Starts the interval timer, if there is an interval; it stops when the run ends. */
  start(): void {
    if (this.intervalSeconds === undefined) return;
    this.timer = setInterval(() => {
      this.writeInterval();
    }, this.intervalSeconds * 1000);
    this.run.whenEnded(() => {
      clearInterval(this.timer);
    });
  }

  /** The table of what came since the last one; with an interval, under a line with the time. */
  closingTable(): string {
    return this.intervalSeconds === undefined ? this.aggregation.render() : this.timedTable();
  }

  private timedTable(): string {
    const table = `${clockTime(new Date())}\n${this.aggregation.render()}\n`;
    this.aggregation.reset();
    return table;
  }

  private writeInterval(): void {
    if (this.run.outputClosed) return;
    // Tables are small, and one per interval: no need to wait for the output to drain.
    this.aroundWrite(() => this.out.write(this.timedTable()));
  }
}
