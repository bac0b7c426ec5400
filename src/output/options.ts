/** What EventWriter writes. */

/** The output formats: see text.ts, jsonl.ts and csv.ts. */
export type OutputFormat = 'text' | 'jsonl' | 'csv';

/** Options of an EventWriter. */
export interface OutputOptions {
  format: OutputFormat;
  /** CLOCK_MONOTONIC ns at which the trace began: `text` prints seconds since then. */
  timeOrigin: bigint;
  /** `text`: print the monotonic time itself (seconds, µs precision) instead of time since timeOrigin. */
  absoluteTime: boolean;
  /**
   * `time` (the default): each batch's rows in time order across its events and CPUs; `batch`:
   * each event's rows in ring order, one event after another (cheaper, for consumers that sort).
   */
  order?: 'time' | 'batch';
}
