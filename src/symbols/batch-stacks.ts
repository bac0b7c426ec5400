/**
 * The stacks of one column batch: each event's `stack` column holds, per row, an index into the
 * batch's list of distinct stacks, so a stack repeated over thousands of rows is listed once.
 */
import { SampleLayout } from '../decode/records.js';
import type { CallStack, StackTable } from './stack-table.js';

/** Builds one batch's stack columns and its list of distinct stacks. */
export class BatchStacks {
  /** The batch's distinct stacks, in order of first appearance. */
  readonly list: CallStack[] = [];
  /** Index in {@link list} of each stack id seen in this batch. */
  private readonly indexOf = new Map<number, number>();

  constructor(private readonly table: StackTable) {}

  /**
   * The stack column of `rows` rows whose records start at `positions[first…]`, in a batch read
   * through `view`; pids from the records, chains of at most `depth` frames.
   */
  column(view: DataView, positions: ArrayLike<number>, first: number, rows: number, depth: number): Uint32Array {
    const column = new Uint32Array(rows);
    let previous: CallStack | undefined;
    let index = 0;
    for (let r = 0; r < rows; r++) {
      const at = positions[first + r]!;
      const stack = this.table.stackOf(view, at, view.getUint32(at + SampleLayout.pid, true), depth);
      // Rows in a run mostly share their stack: the lookup only when it changes.
      if (stack !== previous) {
        index = this.indexOf.get(stack.id) ?? this.list.push(stack) - 1;
        this.indexOf.set(stack.id, index);
        previous = stack;
      }
      column[r] = index;
    }
    return column;
  }
}
