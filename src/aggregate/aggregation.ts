/** What every aggregation does: take columnar batches, render a table, start over. */
import type { ColumnBatch } from '../decode/columns.js';

/** An aggregation over the columnar batches of a session (`session.onColumns`). */
export interface Aggregation {
  /** Takes one batch (its columns are only valid during the call: nothing of them is kept). */
  add(batch: ColumnBatch): void;
  /** The table of what was aggregated since the last reset, as text lines each ending in '\n'. */
  render(): string;
  /** Forgets what was aggregated (the CLI calls it after each --interval table). */
  reset(): void;
}
