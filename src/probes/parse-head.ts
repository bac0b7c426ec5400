/**
 * Parses the first token of a definition, the head: the probe type letter, the optional maxactive
 * count after it, and the optional `:GROUP/EVENT` names, as the kernel's trace_probe_create() reads
 * them. Positions in errors count from the start of the head token.
 */
import { syntaxError } from './errors.js';
import { parseKernelUnsigned, toSafeInteger } from './numbers.js';
import { cutInput } from '../errors.js';

/** The head of a definition, `p`, `r16:mygroup/myevent`, `f:myevent`, ... as read from its token. */
export interface Head {
  readonly letter: 'p' | 'r' | 'f' | 't';
  readonly maxactive?: number;
  readonly group?: string;
  readonly event?: string;
  /** Where the group and event names start, for error positions. */
  readonly nameStart: number;
  readonly eventStart: number;
}

/** The names part of a head: what follows the ':' after the probe type. */
type HeadNames = Pick<Head, 'group' | 'event' | 'nameStart' | 'eventStart'>;

/** Parses a head token such as `r16:mygroup/myevent`; throws a ProbeDefinitionError positioned in the token. */
export function parseHead(token: string): Head {
  const letter = probeTypeLetter(token);
  const colon = token.indexOf(':');
  const maxactive = parseMaxactive(token, letter, token.slice(1, colon < 0 ? token.length : colon));
  const base = { letter, ...(maxactive !== undefined && { maxactive }) } as const;
  return { ...base, ...parseNames(token, colon) };
}

/**
 * "Did you mean" the definition with the ':' after the probe type made a space (`p:SYM` → `p SYM`):
 * the hint for a probe point written where the event name goes.
 */
export function didYouMeanLocation(text: string): string {
  const trimmed = text.trim();
  const colon = trimmed.indexOf(':');
  const meant = `${trimmed.slice(0, colon)} ${trimmed.slice(colon + 1)}`;
  const names = `${trimmed.slice(0, colon)}:NAME`;
  return `did you mean \`${cutInput(meant)}\`? '${names}' names the event; the probe point comes after a space`;
}

// The probe type letter, after explaining the commands and probe types that share the file but are
// not definitions this model holds.
function probeTypeLetter(token: string): Head['letter'] {
  const letter = token[0] ?? '';
  if (letter === '-') {
    syntaxError(
      'DELETE_COMMAND',
      0,
      `'${cutInput(token)}' is a delete command, not a probe definition.`,
      'to remove a probe use printDeleteCommand(); a definition starts with p, r, f or t',
    );
  }
  if (letter === '!') {
    syntaxError(
      'DELETE_COMMAND',
      0,
      `'${cutInput(token)}' starts with '!', which removes triggers and filters; it is not a probe definition.`,
      'a definition starts with p, r, f or t',
    );
  }
  if (letter === 'e' || letter === 's') {
    syntaxError(
      'UNSUPPORTED_PROBE_TYPE',
      0,
      `'${letter}' (${letter === 'e' ? 'event probe' : 'synthetic event'}) definitions ` +
        'are not supported by this model.',
      'use p/r (kprobe, uprobe), f (fprobe) or t (tracepoint probe)',
    );
  }
  if (letter !== 'p' && letter !== 'r' && letter !== 'f' && letter !== 't') {
    syntaxError(
      'BAD_PROBE_TYPE',
      0,
      `'${cutInput(token)}' does not start with a probe type.`,
      'start with p (probe), r (return probe), f (function entry/exit) or t (tracepoint)',
    );
  }
  return letter;
}

// The count between the probe type and the ':' (`r16:`), undefined when there is none. Whether the
// probe may have one is validate()'s business.
function parseMaxactive(token: string, letter: Head['letter'], digits: string): number | undefined {
  if (digits.length === 0) return undefined;
  if (!/^[0-9]/.test(digits)) {
    syntaxError(
      'BAD_PROBE_TYPE',
      1,
      `Unexpected '${cutInput(digits)}' after the probe type '${letter}' in '${cutInput(token)}'.`,
      `write ${letter}:GROUP/EVENT, or just ${letter}`,
    );
  }
  const maxactive = toSafeInteger(parseKernelUnsigned(digits));
  if (maxactive === undefined) {
    syntaxError(
      'BAD_MAXACT',
      1,
      `'${cutInput(digits)}' in '${cutInput(token)}' is not a maxactive count.`,
      'write r<N>: with N from 1 to 4096, e.g. r16:mygroup/myevent',
    );
  }
  return maxactive;
}

// The GROUP/EVENT (or EVENT) after the head's ':' at `colon`; none when the head has no ':'.
function parseNames(token: string, colon: number): HeadNames {
  if (colon < 0) return { nameStart: 0, eventStart: 0 };
  const names = token.slice(colon + 1);
  const nameStart = colon + 1;
  if (names.length === 0) {
    syntaxError(
      'NO_EVENT_NAME',
      nameStart,
      `'${cutInput(token)}' has ':' but no event name after it.`,
      `write ${cutInput(token)}EVENT or ${cutInput(token)}GROUP/EVENT, or drop the ':'`,
    );
  }
  // Like the kernel, '.' separates group and event when there is no '/'.
  let sep = names.indexOf('/');
  if (sep < 0) sep = names.indexOf('.');
  if (sep < 0) return { event: names, nameStart, eventStart: nameStart };
  if (sep === 0) {
    // 'p:/bin/bash:readline' is a uprobe location written where the event name goes.
    const hint =
      names.startsWith('/') && names.includes(':')
        ? didYouMeanLocation(token)
        : `write ${cutInput(token.slice(0, nameStart))}GROUP${names}, or drop the '${names[0]}'`;
    syntaxError(
      'NO_GROUP_NAME',
      nameStart,
      `'${cutInput(token)}' has '${names[0]}' but no group name before it.`,
      hint,
    );
  }
  const event = names.slice(sep + 1);
  return {
    group: names.slice(0, sep),
    ...(event.length > 0 && { event }),
    nameStart,
    eventStart: nameStart + sep + 1,
  };
}
