/**
 * `foldedStacks()`: how many events each (thread name, call stack) had, printed as folded stacks,
 * `comm;outer;…;inner COUNT` per line: the input of flamegraph.pl, inferno and speedscope.
 */
import type { ColumnBatch } from '../decode/columns.js';
import { foldedStack } from '../symbols/stack-text.js';
import type { Aggregation } from './aggregation.js';

/** Folded stacks of the batches' events with stacks (events without are not counted). */
export function foldedStacks(): Aggregation {
  return new FoldedStacks();
}

class FoldedStacks implements Aggregation {
  private readonly counts = new Map<string, number>();

  add(batch: ColumnBatch): void {
    const stacks = batch.stacks ?? [];
    for (const columns of batch.events.values()) {
      const rows = columns.stack;
      if (rows === undefined) continue;
      const comm = columns.comm;
      for (let i = 0; i < columns.length; i++) {
        const stack = foldedStack(stacks[rows[i]!]!);
        // A thread name may hold ';', which would split it into frames.
        const key = stack === '' ? safeName(comm[i]!) : `${safeName(comm[i]!)};${stack}`;
        this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
      }
    }
  }

  render(): string {
    let text = '';
    for (const [key, count] of [...this.counts].sort((a, b) => (a[0] < b[0] ? -1 : 1))) text += `${key} ${count}\n`;
    return text;
  }

  reset(): void {
    this.counts.clear();
  }
}

function safeName(comm: string): string {
  return comm.replaceAll(';', '_');
}
