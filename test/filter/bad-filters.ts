/**
 * Filters that must be refused: the caret position, reason and advice each must raise, and what
 * Linux 6.18 itself does with the expression — refuse it, or take it although it can never match as
 * written (which perf-bridge refuses on purpose). The compile and kernel tests share them; the rows
 * are in bad-syntax.ts (refused while parsing) and bad-checks.ts (refused against the format).
 */
import type { FilterGrammar } from '../../src/filter/grammar.js';
import { BAD_CHECKS } from './bad-checks.js';
import { BAD_SYNTAX } from './bad-syntax.js';

/** A filter that must be refused. */
export interface BadFilter {
  /** What is wrong, as the test's name. */
  readonly name: string;
  readonly event: string;
  readonly expression: string;
  /** Where the caret must point. */
  readonly position: number;
  /** Must match the reason (the message's first line after the event). */
  readonly reason: RegExp;
  /** Must match the advice at the start of the hint. */
  readonly advice: RegExp;
  /** LINUX_6_18 when omitted. */
  readonly grammar?: FilterGrammar;
  /**
   * What Linux 6.18 does with the expression as written: `refuses` (EINVAL or another errno), or
   * `never-matches` — it takes the filter, but it cannot match as written.
   */
  readonly kernel: 'refuses' | 'never-matches' | 'no-6.18-check';
}

/** Every bad filter. */
export const BAD_FILTERS: readonly BadFilter[] = [...BAD_SYNTAX, ...BAD_CHECKS];
