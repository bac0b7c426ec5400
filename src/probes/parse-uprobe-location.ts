/**
 * Parses a uprobe location token: `PATH:OFFSET` or `PATH:SYMBOL[+OFFSET]`, where PATH may also be a
 * library name, optionally followed by `%return` and `(REF_CTR_OFFSET)`, as the kernel's
 * trace_uprobe_create() reads it (SYMBOL is perf-bridge's, resolved to an offset before printing).
 * Positions in errors count from the start of the token.
 */
import type { ProbeLocation } from './definition.js';
import { syntaxError } from './errors.js';
import { parseKernelUnsigned, toSafeInteger } from './numbers.js';
import { cutInput } from '../errors.js';

/** The optional `(REF_CTR_OFFSET)` of a uprobe location, as the model spreads it in. */
interface RefCounter {
  readonly refCtrOffset?: number;
}

/**
 * Parses uprobe location token `token` into a `uoffset` or `usym` location. The `%return` suffix is
 * skipped here; the caller has checked it.
 */
export function parseUprobeLocation(token: string): ProbeLocation {
  // Like the kernel, the *last* ':' separates the path (which may contain ':').
  const colon = token.lastIndexOf(':');
  const path = parsePath(token, colon);
  const { target, refCounter } = splitRefCounter(token, colon);
  const pct = target.indexOf('%');
  const place = pct < 0 ? target : target.slice(0, pct);
  if (/^[0-9]/.test(place))
    return { type: 'uoffset', path, offset: parseFileOffset(place, colon, token), ...refCounter };
  return { type: 'usym', path, ...parseSymbolTarget(place, colon, token), ...refCounter };
}

// The path before the ':' at `colon`.
function parsePath(token: string, colon: number): string {
  if (colon < 0) {
    syntaxError(
      'BAD_PATH',
      token.length,
      `Uprobe location '${cutInput(token)}' has no ':OFFSET'.`,
      'write PATH:OFFSET (a file offset, e.g. /bin/bash:0x4245c0) or PATH:SYMBOL[+OFFSET]',
    );
  }
  const path = token.slice(0, colon);
  if (path.length === 0) {
    syntaxError('BAD_PATH', 0, `Uprobe location '${cutInput(token)}' has no path before ':'.`, 'write PATH:OFFSET');
  }
  return path;
}

// Splits what follows the ':' at `colon` into the target (OFFSET or SYMBOL[+OFFSET], with any
// '%return') and the reference counter after it.
function splitRefCounter(token: string, colon: number): { target: string; refCounter: RefCounter } {
  const rest = token.slice(colon + 1);
  const paren = rest.indexOf('(');
  if (paren < 0) return { target: rest, refCounter: {} };
  const close = rest.indexOf(')', paren);
  const at = colon + 1 + paren;
  if (close < 0) {
    syntaxError(
      'BAD_REFCNT',
      at,
      `Reference counter '${cutInput(rest.slice(paren))}' in '${cutInput(token)}' is missing its ')'.`,
      'write PATH:OFFSET(REF_CTR_OFFSET)',
    );
  }
  if (close !== rest.length - 1) {
    syntaxError(
      'BAD_REFCNT',
      colon + 2 + close,
      `'${cutInput(rest.slice(close + 1))}' after the reference counter in '${cutInput(token)}' is not allowed.`,
      "end the location with ')'; '%return' goes before '('",
    );
  }
  const ref = toSafeInteger(parseKernelUnsigned(rest.slice(paren + 1, close)));
  if (ref === undefined) {
    syntaxError(
      'BAD_REFCNT',
      at + 1,
      `'${cutInput(rest.slice(paren + 1, close))}' is not a reference counter offset in '${cutInput(token)}'.`,
      'write the semaphore file offset as one number, e.g. (0x1a2b4)',
    );
  }
  // The kernel treats (0) as "no reference counter"; the canonical text omits it.
  return { target: rest.slice(0, paren), refCounter: ref === 0 ? {} : { refCtrOffset: ref } };
}

// `PATH:OFFSET`: `place` is the OFFSET, which starts at `colon` + 1.
function parseFileOffset(place: string, colon: number, token: string): number {
  const offset = toSafeInteger(parseKernelUnsigned(place));
  if (offset === undefined) {
    syntaxError(
      'BAD_UPROBE_OFFS',
      colon + 1,
      `'${cutInput(place)}' is not a file offset in uprobe location '${cutInput(token)}'.`,
      'write PATH:OFFSET with one number, e.g. /bin/bash:0x4245c0',
    );
  }
  return offset;
}

// `PATH:SYMBOL[+OFFSET]`: `place` is the SYMBOL[+OFFSET], which starts at `colon` + 1.
function parseSymbolTarget(place: string, colon: number, token: string): { symbol: string; offset: number } {
  if (place.length === 0) {
    syntaxError(
      'BAD_UPROBE_OFFS',
      colon + 1,
      `Uprobe location '${cutInput(token)}' has nothing after ':'.`,
      'write PATH:OFFSET or PATH:SYMBOL[+OFFSET]',
    );
  }
  const plus = place.indexOf('+');
  const symbol = plus < 0 ? place : place.slice(0, plus);
  const offset = plus < 0 ? 0 : toSafeInteger(parseKernelUnsigned(place.slice(plus + 1)));
  if (offset === undefined) {
    syntaxError(
      'BAD_UPROBE_OFFS',
      colon + 2 + plus,
      `'${cutInput(place.slice(plus + 1))}' is not an offset in '${cutInput(token)}'.`,
      'write PATH:SYMBOL+N with one number N',
    );
  }
  return { symbol, offset };
}
