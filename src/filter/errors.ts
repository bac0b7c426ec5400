/**
 * What a bad filter raises: {@link FilterError} for the user, carrying the expression, the offending
 * token's position and a caret under it; {@link FilterProblem} inside this folder, before the event's
 * name and fields are known to build the hint.
 */
import { PerfBridgeError } from '../errors.js';

/** Characters of the expression shown either side of the caret when it is too long for one line. */
const CARET_WINDOW = 60;

/**
 * A filter expression the kernel would refuse, or accept with a meaning other than the one written
 * (a string pointer it cannot read, a comparison that never matches). Raised before any system call:
 * for perf events the kernel only answers EINVAL and writes nothing to tracefs `error_log`.
 */
export class FilterError extends PerfBridgeError {
  /** Always `BAD_FILTER`. */
  readonly code = 'BAD_FILTER';
  /** The expression as given. */
  readonly expression: string;
  /** 0-based index in `expression` of the offending token (its length for "ended too early"). */
  readonly position: number;
  /** The event the filter was for, as `group:name`. */
  readonly eventName: string;
  /** What is wrong, without the expression and caret of the message. */
  readonly reason: string;
  constructor(
    reason: string,
    fields: { expression: string; position: number; eventName: string; hint: string; cause?: unknown },
  ) {
    super(`bad filter for ${fields.eventName}: ${reason}\n${caretLines(fields.expression, fields.position)}`, {
      hint: fields.hint,
      cause: fields.cause,
    });
    this.expression = fields.expression;
    this.position = fields.position;
    this.eventName = fields.eventName;
    this.reason = reason;
  }
}

/**
 * A fault found while reading or checking a filter, at `position`; {@link FilterError} once the
 * event is known. `advice` is the part of the hint about this fault (the field list is added later).
 */
export class FilterProblem extends Error {
  constructor(
    readonly position: number,
    readonly reason: string,
    readonly advice: string,
  ) {
    super(reason);
    this.name = 'FilterProblem';
  }
}

/**
 * The expression on one line, indented, and a caret under `position` on the next. Control characters
 * show as one character each so the caret stays aligned; a long expression shows a window around it.
 */
export function caretLines(expression: string, position: number): string {
  const at = Math.max(0, Math.min(position, expression.length));
  let from = 0;
  let to = expression.length;
  if (expression.length > 2 * CARET_WINDOW) {
    from = Math.max(0, at - CARET_WINDOW);
    to = Math.min(expression.length, at + CARET_WINDOW);
  }
  const before = from > 0 ? '…' : '';
  const after = to < expression.length ? '…' : '';
  const shown = `${before}${printable(expression.slice(from, to))}${after}`;
  return `  ${shown}\n  ${' '.repeat(before.length + at - from)}^`;
}

/** `text` with each whitespace control character as a space and any other as `?`. */
function printable(text: string): string {
  let shown = '';
  for (const c of text) {
    const code = c.charCodeAt(0);
    if (code >= 0x09 && code <= 0x0d) shown += ' ';
    else if (code < 0x20 || code === 0x7f) shown += '?';
    else shown += c;
  }
  return shown;
}
