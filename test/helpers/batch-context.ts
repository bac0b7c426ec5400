/** Decoding contexts for tests that decode hand-made batches: names given, nothing read from /proc. */
import { ProcessNames } from '../../src/decode/process-names.js';
import type { BatchContext } from '../../src/decode/records.js';

/**
 * A context whose process names are `names` (tid → comm), valid at every time; nothing excluded
 * unless `excludedPids` says so.
 */
export function batchContext(names: Readonly<Record<number, string>> = {}, excludedPids: number[] = []): BatchContext {
  const table = new ProcessNames();
  table.seed(new Map(Object.entries(names).map(([tid, comm]) => [Number(tid), { comm }])));
  return { names: table, excludedPids, stacks: undefined };
}
