/**
 * The rows of one batch in columnar decoding: where each row's record starts and which event it
 * belongs to, in ring order, then grouped by event so each event's columns are filled in one loop.
 * Reused from batch to batch: Int32Arrays sized for the largest batch seen, which the walk fills
 * directly (through locals: it is the hottest loop of columnar decoding).
 */

/** The smallest record that can carry a row (a sample's fixed part, without raw data). */
export const MIN_RECORD_BYTES = 44;

/** Record positions and their events' ordinals (see the module comment). */
export class RowIndex {
  /** Rows in the batch: set by whoever filled `positions` and `owners`. */
  length = 0;
  /** Where each row's record starts in the batch, in ring order. */
  positions = new Int32Array(0);
  /** Each row's event, by its ordinal in the batch. */
  owners = new Int32Array(0);
  private grouped = new Int32Array(0);

  /** Starts a batch of `bytes` bytes: `positions` and `owners` then hold a row per record it can hold. */
  reset(bytes: number): void {
    const capacity = Math.floor(bytes / MIN_RECORD_BYTES) + 1;
    if (capacity > this.positions.length) {
      this.positions = new Int32Array(capacity);
      this.owners = new Int32Array(capacity);
      this.grouped = new Int32Array(capacity);
    }
    this.length = 0;
  }

  /**
   * The positions grouped by event, each event's in ring order: event k's rows start after the
   * `rowsPerOwner` of the events before it. Valid until the next reset.
   */
  byOwner(rowsPerOwner: readonly number[]): Int32Array {
    if (rowsPerOwner.filter((rows) => rows > 0).length <= 1) return this.positions;
    const next = new Int32Array(rowsPerOwner.length);
    for (let owner = 1; owner < rowsPerOwner.length; owner++) next[owner] = next[owner - 1]! + rowsPerOwner[owner - 1]!;
    const { positions, owners, grouped } = this;
    for (let row = 0; row < this.length; row++) grouped[next[owners[row]!]!++] = positions[row]!;
    return grouped;
  }
}
