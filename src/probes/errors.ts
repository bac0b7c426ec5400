/**
 * The one error type of the probe-definition model.
 *
 * Every rule the kernel enforces when a line is written to `kprobe_events`,
 * `uprobe_events` or `dynamic_events` is checked here first, so a bad
 * definition fails in TypeScript with a message naming the bad token and the
 * fix, instead of an `EINVAL` from `write(2)` and a terse `error_log` line.
 */
import { PerfBridgeError, QUOTED_INPUT_LIMIT } from '../errors.js';

/**
 * Stable machine-readable reason codes; most mirror the kernel's `TP_ERR_*` names. perf-bridge's own:
 * `UNSUPPORTED_FEATURE` (the running kernel lacks what the definition uses), `MODULE_NOT_LOADED`
 * (`MOD:SYMBOL` names a module that is not loaded, so the probe would never fire),
 * `UNRESOLVED_LIBRARY` (a uprobe on a library name was printed before the name was resolved to a
 * file) and `BAD_FILTER` (a filter that is not a non-empty string).
 */
export type ProbeErrorCode =
  | 'EMPTY'
  | 'MALFORMED_DEFINITION'
  | 'BAD_CHARACTER'
  | 'COMMENT_CHARACTER'
  | 'DEFINITION_TOO_LONG'
  | 'DELETE_COMMAND'
  | 'BAD_PROBE_TYPE'
  | 'UNSUPPORTED_PROBE_TYPE'
  | 'BAD_MAXACT'
  | 'BAD_MAXACT_TYPE'
  | 'MAXACT_TOO_BIG'
  | 'NO_GROUP_NAME'
  | 'GROUP_TOO_LONG'
  | 'BAD_GROUP_NAME'
  | 'NO_EVENT_NAME'
  | 'EVENT_TOO_LONG'
  | 'BAD_EVENT_NAME'
  | 'NO_LOCATION'
  | 'BAD_PROBE_ADDR'
  | 'BAD_ADDR_SUFFIX'
  | 'BAD_RETPROBE'
  | 'BAD_SYMBOL'
  | 'BAD_MODULE'
  | 'MODULE_NOT_LOADED'
  | 'BAD_PATH'
  | 'BAD_UPROBE_OFFS'
  | 'BAD_REFCNT'
  | 'UNRESOLVED_SYMBOL'
  | 'UNRESOLVED_LIBRARY'
  | 'BAD_TP_NAME'
  | 'KIND_MISMATCH'
  | 'TOO_MANY_ARGS'
  | 'NO_ARG_NAME'
  | 'ARG_NAME_TOO_LONG'
  | 'BAD_ARG_NAME'
  | 'USED_ARG_NAME'
  | 'RESERVED_ARG_NAME'
  | 'NO_ARG_BODY'
  | 'ARG_TOO_LONG'
  | 'BAD_FETCH_ARG'
  | 'BAD_VAR'
  | 'RETVAL_ON_PROBE'
  | 'BAD_STACK_NUM'
  | 'BAD_ARG_NUM'
  | 'NOFENTRY_ARGS'
  | 'BAD_REG_NAME'
  | 'REG_ON_FPROBE'
  | 'BAD_MEM_ADDR'
  | 'SYM_ON_UPROBE'
  | 'FILE_ON_KPROBE'
  | 'BAD_FILE_OFFS'
  | 'BAD_IMM'
  | 'IMMSTR_NO_CLOSE'
  | 'BAD_IMM_STRING'
  | 'DEREF_NEED_BRACE'
  | 'DEREF_OPEN_BRACE'
  | 'BAD_DEREF_OFFS'
  | 'DEREF_TRAILING'
  | 'COMM_CANT_DEREF'
  | 'TOO_MANY_OPS'
  | 'BAD_TYPE'
  | 'NEED_STRING_TYPE'
  | 'BAD_STRING'
  | 'BAD_SYMSTRING'
  | 'BAD_BITFIELD'
  | 'ARRAY_NO_CLOSE'
  | 'BAD_ARRAY_SUFFIX'
  | 'BAD_ARRAY_NUM'
  | 'ARRAY_TOO_BIG'
  | 'BAD_ARRAY'
  | 'TYPE_NOT_ON_UPROBE'
  | 'EVENT_TOO_BIG'
  | 'NO_BTF_ARGS'
  | 'UNSUPPORTED_FEATURE'
  | 'BAD_FILTER';

/** Which part of a definition an error is about, when it is known. */
export interface ProbeErrorWhere {
  readonly part: 'definition' | 'head' | 'group' | 'event' | 'maxactive' | 'location' | 'arg';
  /** 0-based index into `args` when `part` is `arg`. */
  readonly argIndex?: number;
}

/** Details carried by a {@link ProbeDefinitionError}. */
export interface ProbeErrorDetails {
  readonly code: ProbeErrorCode;
  /** What to do about it; shown after the message as `hint:`. */
  readonly hint?: string | undefined;
  /** The definition text, when the error comes from parsing or printing. */
  readonly definition?: string | undefined;
  /** 0-based index into `definition` of the offending character, when known. */
  readonly position?: number | undefined;
  readonly where?: ProbeErrorWhere | undefined;
  readonly cause?: unknown;
}

/**
 * A probe definition that the kernel would refuse (or that perf-bridge refuses
 * because it would do something other than what it says).
 */
export class ProbeDefinitionError extends PerfBridgeError {
  /** The reason, stable across message rewording. */
  readonly code: ProbeErrorCode;
  /** The message without the definition excerpt and hint. */
  readonly problem: string;
  /** The definition text, when known. */
  readonly definition: string | undefined;
  /** 0-based index into {@link definition} of the offending character, when known. */
  readonly position: number | undefined;
  /** Which part of the definition is wrong, when known. */
  readonly where: ProbeErrorWhere | undefined;

  constructor(message: string, details: ProbeErrorDetails) {
    const hint =
      details.hint ?? "see the probe syntax in the kernel's Documentation/trace/kprobetrace.rst and uprobetracer.rst";
    super(withExcerpt(message, details.definition, details.position), { hint, cause: details.cause });
    this.code = details.code;
    this.problem = message;
    this.definition = details.definition;
    this.position = details.position;
    this.where = details.where;
  }

  /** The same error, attached to the definition text it was found in. */
  inText(definition: string, position: number | undefined): ProbeDefinitionError {
    return new ProbeDefinitionError(this.problem, {
      code: this.code,
      hint: this.hint,
      definition,
      position: position ?? this.position,
      where: this.where,
      cause: this.cause,
    });
  }
}

/** Throws a {@link ProbeDefinitionError}; a `never` helper so rule code reads as one line per rule. */
export function fail(code: ProbeErrorCode, message: string, hint: string, where?: ProbeErrorWhere): never {
  throw new ProbeDefinitionError(message, { code, hint, where });
}

/**
 * Throws a {@link ProbeDefinitionError} for the character at `position` of the text being parsed
 * (the parsers attach the text itself on the way out); a `never` helper like {@link fail}.
 */
export function syntaxError(code: ProbeErrorCode, position: number, message: string, hint: string): never {
  throw new ProbeDefinitionError(message, { code, hint, position });
}

// The excerpt shows the text with a caret under the bad character, the way
// the kernel's error_log does, because a position alone is hard to read. A long
// definition is shown as a window of QUOTED_INPUT_LIMIT characters around the position.
function withExcerpt(message: string, definition: string | undefined, position: number | undefined): string {
  if (definition === undefined) return message;
  const length = definition.length;
  const start =
    length <= QUOTED_INPUT_LIMIT || position === undefined
      ? 0
      : Math.max(0, Math.min(position - QUOTED_INPUT_LIMIT / 2, length - QUOTED_INPUT_LIMIT));
  const end = Math.min(length, start + QUOTED_INPUT_LIMIT);
  const before = start > 0 ? '…' : '';
  const after = end < length ? '…' : '';
  const cut = before !== '' || after !== '' ? ` (${length} characters)` : '';
  const shown = `${JSON.stringify(before + definition.slice(start, end) + after)}${cut}`;
  if (position === undefined) return `${message}\n  in: ${shown}`;
  // JSON.stringify escapes some characters, so find the caret column in the escaped text.
  const column = JSON.stringify(before + definition.slice(start, position)).length - 1;
  return `${message}\n  in: ${shown}\n      ${' '.repeat(column)}^`;
}
