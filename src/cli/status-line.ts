/**
 * The live status line of `trace` on a terminal's stderr: events per second, delivered, lost and
 * ring fill, redrawn in place with new figures at most 10 times a second, and erased before anything
 * else is written to the terminal, so that it never ends up inside another line. When the events
 * go to the same terminal, the line is erased before each write and put back after it, unchanged,
 * so that it stays under the events instead of vanishing until the next redraw.
 */

/** One reading of the session's counters. */
export interface StatusSample {
  /** Events delivered since the start. */
  delivered: number;
  /** Records the kernel lost since the start. */
  lost: number;
  /** How full the fullest ring was at the latest drain, 0..1. */
  ringFill: number;
}

/** Where the line is drawn: a terminal stream such as process.stderr. */
export interface StatusTerminal {
  write(text: string): unknown;
  /** The terminal's width; a line that wrapped could not be redrawn in place. */
  readonly columns?: number | undefined;
}

/** The shortest time between two redraws: at most 10 a second. */
export const REDRAW_INTERVAL_MS = 100;

/** The rate is measured over this much time, so that it does not jump from one redraw to the next. */
const RATE_WINDOW_MS = 1000;

/** Moves to the start of the line and erases it. */
const ERASE_LINE = '\r\x1b[K';

/** `n` with thousands separators: 1,234,567. */
function grouped(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/**
 * The text of the line for `sample` and `ratePerSecond`, cut to `columns - 1` characters: writing
 * the last column makes some terminals wrap, and a wrapped line cannot be redrawn with `\r`.
 */
export function statusText(sample: StatusSample, ratePerSecond: number, columns: number | undefined): string {
  const parts = [
    `${grouped(ratePerSecond)} events/s`,
    `${grouped(sample.delivered)} delivered`,
    `${grouped(sample.lost)} lost`,
    `ring ${Math.round(sample.ringFill * 100)}% full`,
  ];
  const text = `perf-bridge: ${parts.join(', ')}`;
  return columns === undefined || columns < 2 ? text : text.slice(0, columns - 1);
}

/** The status line: start() draws it on a timer, clear() erases it, stop() erases it for good. */
export class StatusLine {
  private timer: NodeJS.Timeout | undefined;
  /** True while the line is on the terminal: only then does clear() write anything. */
  private shown = false;
  /** The text last drawn, which restore() puts back; undefined once stopped. */
  private text: string | undefined;
  /** Recent readings (time in ms, delivered), the oldest within the rate window first. */
  private readonly history: { at: number; delivered: number }[] = [];

  /**
   * @param terminal where to draw.
   * @param sample reads the counters at each redraw.
   * @param now the clock, in ms (a parameter so that tests can drive it).
   */
  constructor(
    private readonly terminal: StatusTerminal,
    private readonly sample: () => StatusSample,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Starts redrawing every {@link REDRAW_INTERVAL_MS}; the timer does not keep the process alive. */
  start(): void {
    if (this.timer !== undefined) return;
    this.history.push({ at: this.now(), delivered: this.sample().delivered });
    this.timer = setInterval(() => {
      this.draw();
    }, REDRAW_INTERVAL_MS);
    this.timer.unref();
  }

  /** Draws the line now, over the previous one. */
  draw(): void {
    const sample = this.sample();
    const at = this.now();
    this.history.push({ at, delivered: sample.delivered });
    while (this.history.length > 2 && at - this.history[1]!.at >= RATE_WINDOW_MS) this.history.shift();
    const oldest = this.history[0]!;
    const seconds = (at - oldest.at) / 1000;
    const rate = seconds > 0 ? (sample.delivered - oldest.delivered) / seconds : 0;
    this.text = statusText(sample, rate, this.terminal.columns);
    this.terminal.write(`${ERASE_LINE}${this.text}`);
    this.shown = true;
  }

  /** Erases the line, if it is shown, so that other output starts on a clean line; the timer redraws it. */
  clear(): void {
    if (!this.shown) return;
    this.terminal.write(ERASE_LINE);
    this.shown = false;
  }

  /** Puts the last line back as it was, after clear() made room for other output; nothing once stopped. */
  restore(): void {
    if (this.shown || this.text === undefined || this.timer === undefined) return;
    this.terminal.write(this.text);
    this.shown = true;
  }

  /** Stops redrawing and erases the line. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
    this.text = undefined;
  }
}
