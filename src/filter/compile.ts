/**
 * From a user's filter expression to the text perf-bridge sets with PERF_EVENT_IOC_SET_FILTER:
 * parsed, checked against the event's format and the kernel's grammar, and rendered canonically
 * within the kernel's length limit — or a {@link FilterError} with a caret and the usable fields.
 */
import type { EventFormat } from '../decode/format.js';
import type { FilterNode } from './ast.js';
import { checkFilter } from './checker.js';
import { FilterError, FilterProblem } from './errors.js';
import { describeFields } from './fields.js';
import type { FilterGrammar } from './grammar.js';
import { parseFilter } from './parser.js';
import { renderFilter } from './render.js';

/**
 * The longest filter in bytes: the perf ioctl copies the string with `strndup_user(arg, PAGE_SIZE)`,
 * which takes at most a page including the NUL (4096 bytes on x86-64 and the usual arm64 kernels).
 */
export const FILTER_MAX_BYTES = 4095;

/**
 * Checks `expression` as the kernel would for event `eventName` with format `format`, and returns
 * the canonical text to set on the event's perf fds (same meaning, normalised spacing, quoting
 * and parentheses; at most {@link FILTER_MAX_BYTES} bytes).
 *
 * Function names after `.function` are looked up by the kernel only: a name it does not have makes
 * the ioctl fail with EINVAL.
 *
 * @throws FilterError when the kernel would refuse the filter, or accept it with a meaning other
 *   than the one written; `position` points at the offending token.
 */
export function compileFilter(
  expression: string,
  format: EventFormat,
  grammar: FilterGrammar,
  eventName: string,
): string {
  const hint = (advice: string) =>
    `${advice}${/[.?!]$/.test(advice) ? '' : '.'} ${describeFields(format, grammar, eventName)}`;
  try {
    if (eventName === 'ftrace:function') {
      throw new FilterProblem(
        0,
        'ftrace:function takes only function-name filters (ip == name), which perf-bridge does not support',
        'trace the function with a kprobe and filter its fields',
      );
    }
    const tree = parseFilter(expression);
    checkFilter(tree, format, grammar, eventName);
    return fittingText(tree, expression);
  } catch (error) {
    if (!(error instanceof FilterProblem)) throw error;
    throw new FilterError(error.reason, { expression, position: error.position, eventName, hint: hint(error.advice) });
  }
}

/** The spaced canonical text, or the compact one when only that fits the kernel's limit. */
function fittingText(tree: FilterNode, expression: string): string {
  for (const style of ['spaced', 'compact'] as const) {
    const text = renderFilter(tree, style);
    if (Buffer.byteLength(text, 'utf8') <= FILTER_MAX_BYTES) return text;
  }
  const compact = Buffer.byteLength(renderFilter(tree, 'compact'), 'utf8');
  throw new FilterProblem(
    cutPosition(expression),
    `the filter is ${compact} bytes long even without spaces; the kernel takes at most ${FILTER_MAX_BYTES}`,
    'shorten the filter: fewer predicates, or globs (~ "prefix*") instead of lists of strings',
  );
}

/** The index of the first character of `expression` past {@link FILTER_MAX_BYTES} bytes (or its length). */
function cutPosition(expression: string): number {
  let bytes = 0;
  let index = 0;
  for (const c of expression) {
    bytes += Buffer.byteLength(c, 'utf8');
    if (bytes > FILTER_MAX_BYTES) return index;
    index += c.length;
  }
  return expression.length;
}
