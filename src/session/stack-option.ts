/** The `stack` option: which call-chain frames a session's events capture, and how many. */
import { readFileSync } from 'node:fs';

import { isRecord, refuse, refuseUnknownKeys, shown } from './option-values.js';

/** Where the captured frames ran: the kernel's, the process's, or both (kernel frames first). */
export type StackSpace = 'kernel' | 'user' | 'both';

/**
 * Capture each event's call stack: `'kernel' | 'user' | 'both'`, or `{ from, maxDepth }` to keep
 * at most `maxDepth` frames (default and limit: `kernel.perf_event_max_stack`, 127 by default).
 * User frames are walked through frame pointers, as `perf record -g` does.
 */
export type StackOption = StackSpace | { from: StackSpace; maxDepth?: number };

/** A checked {@link StackOption}. */
export interface ResolvedStack {
  kernel: boolean;
  user: boolean;
  /** Frames kept at most (the kernel's limit when not given). */
  maxDepth: number;
}

const SPACES: readonly StackSpace[] = ['kernel', 'user', 'both'];
const MAX_STACK_FILE = '/proc/sys/kernel/perf_event_max_stack';
/** The kernel's default of perf_event_max_stack, for a kernel that does not show it. */
const DEFAULT_MAX_STACK = 127;

/** The deepest chain the kernel records (sysctl kernel.perf_event_max_stack). */
export function kernelMaxStack(): number {
  try {
    return Number.parseInt(readFileSync(MAX_STACK_FILE, 'utf8'), 10) || DEFAULT_MAX_STACK;
  } catch {
    return DEFAULT_MAX_STACK;
  }
}

/** Checks the `stack` option at `where` (`stack`, `events[2].stack`); undefined stays undefined. */
export function stackOption(value: unknown, where: string): ResolvedStack | undefined {
  if (value === undefined) return undefined;
  const hint = "give 'kernel', 'user', 'both' or { from: 'user', maxDepth: 32 }";
  let from: unknown = value;
  let maxDepth: unknown;
  if (isRecord(value)) {
    refuseUnknownKeys(value, ['from', 'maxDepth'], where);
    from = value.from;
    maxDepth = value.maxDepth;
  }
  if (typeof from !== 'string' || !SPACES.includes(from as StackSpace)) {
    refuse('BAD_OPTION_VALUE', where, `${where} must be 'kernel', 'user' or 'both', got ${shown(from)}`, hint);
  }
  const limit = kernelMaxStack();
  if (maxDepth !== undefined && !(Number.isSafeInteger(maxDepth) && (maxDepth as number) > 0)) {
    refuse(
      'BAD_OPTION_VALUE',
      `${where}.maxDepth`,
      `${where}.maxDepth must be a positive integer, got ${shown(maxDepth)}`,
      hint,
    );
  }
  if (maxDepth !== undefined && (maxDepth as number) > limit) {
    refuse(
      'BAD_OPTION_VALUE',
      `${where}.maxDepth`,
      `${where}.maxDepth ${shown(maxDepth)} is more than this kernel records (kernel.perf_event_max_stack = ${limit})`,
      `give at most ${limit}, or raise it: sysctl kernel.perf_event_max_stack=${shown(maxDepth)}`,
    );
  }
  return { kernel: from !== 'user', user: from !== 'kernel', maxDepth: (maxDepth as number | undefined) ?? limit };
}
