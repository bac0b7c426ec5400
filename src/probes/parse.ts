/**
 * Parses the text of one probe definition (one line of `kprobe_events`,
 * `uprobe_events` or `dynamic_events`) into the model, then validates it, so
 * parse() only ever returns definitions the kernel would accept.
 *
 * Splitting follows the kernel: tokens are separated by spaces (argv_split),
 * the first token is the probe type and names, the second the location, the
 * rest are arguments. Errors carry the text and the index of the bad character.
 *
 * Two forms go beyond the kernel's text: a bare `PATH:SYMBOL` (or `LIBRARY:SYMBOL`), one token
 * with no probe type, is an entry uprobe, as on the command line; and a location whose part before
 * the `:` has a `.` (`libc.so.6:malloc`) is a uprobe on that library, since no kernel module name
 * has one. `MOD:SYMBOL` without a `.` stays a kprobe on module MOD, as the kernel reads it.
 */
import type { ProbeArg, ProbeDefinition, ProbeKind, ProbeLocation } from './definition.js';
import { ProbeDefinitionError, syntaxError } from './errors.js';
import { parseKernelUnsigned, toSafeInteger } from './numbers.js';
import { parseArgToken } from './parse-arg.js';
import { checkDefinitionText, validate } from './validate.js';
import { cutInput } from '../errors.js';

interface Token {
  readonly text: string;
  readonly start: number;
}

interface Head {
  readonly letter: 'p' | 'r' | 'f' | 't';
  readonly maxactive?: number;
  readonly group?: string;
  readonly event?: string;
  /** Where the group and event names start, for error positions. */
  readonly nameStart: number;
  readonly eventStart: number;
}

interface Place {
  readonly kind: ProbeKind;
  readonly location: ProbeLocation;
  readonly returnSuffix: boolean;
}

/**
 * Parses and validates one definition, e.g. `p:mygrp/open do_sys_openat2 name=+0(%si):string`, or
 * a bare uprobe target such as `/usr/bin/bash:readline` or `libc:malloc`.
 * Throws {@link ProbeDefinitionError} with `definition` and `position` set.
 */
export function parse(text: string): ProbeDefinition {
  if (typeof text !== 'string') {
    syntaxError(
      'MALFORMED_DEFINITION',
      0,
      `A probe definition text must be a string, not ${String(text)}.`,
      'pass kernel text such as "p /bin/bash:readline", or a definition from the builder to validate()',
    );
  }
  try {
    checkDefinitionText(text);
    return parseChecked(text, isBareUprobe(text));
  } catch (error) {
    if (error instanceof ProbeDefinitionError && error.definition === undefined) {
      throw error.inText(text, error.position);
    }
    throw error;
  }
}

/** What starts a definition (or a command the parser explains): a probe type, maybe maxactive, then ':' or a space. */
const DEFINITION_HEAD = /^([prftes][0-9]*(:|$)|[-!])/;

/**
 * True for one token that holds a `:` and does not start like a definition: `PATH:SYMBOL`,
 * `LIBRARY:SYMBOL`, `PATH:OFFSET` given alone, which the CLI and the API take as an entry uprobe.
 */
export function isBareUprobe(text: string): boolean {
  const trimmed = text.trim();
  return trimmed.includes(':') && !/\s/.test(trimmed) && !DEFINITION_HEAD.test(trimmed);
}

function parseChecked(text: string, bare: boolean): ProbeDefinition {
  const tokens = tokenize(text);
  // A bare target (one token, so tokens[0] exists) is its own location, with the head `p` implied.
  const [headToken, placeToken, ...argTokens] = bare ? [tokens[0]!, ...tokens] : tokens;
  if (headToken === undefined) {
    syntaxError(
      'EMPTY',
      0,
      'The definition is empty.',
      'write e.g. "p:mygroup/myevent do_sys_openat2" or "p /bin/bash:0x4245c0"',
    );
  }
  const head: Head = bare
    ? { letter: 'p', nameStart: 0, eventStart: 0 }
    : within(headToken, () => parseHead(headToken.text));
  if (placeToken === undefined) {
    syntaxError(
      'NO_LOCATION',
      text.length,
      `'${cutInput(headToken.text)}' is not followed by a probe location.`,
      missingLocationHint(text, head),
    );
  }
  if (FETCH_ARG_START.test(placeToken.text)) {
    syntaxError(
      'NO_LOCATION',
      placeToken.start,
      `'${cutInput(placeToken.text)}' is an argument (NAME=FETCHARG), not a probe location.`,
      missingLocationHint(text, head),
    );
  }
  const place = within(placeToken, () => parsePlace(head.letter, placeToken.text, bare));
  const args: ProbeArg[] = argTokens.map((token, index) => within(token, () => parseArgToken(token.text, index)));
  const isReturn = head.letter === 'r' || place.returnSuffix;
  const def: ProbeDefinition = {
    kind: place.kind,
    isReturn,
    ...(isReturn && { returnSyntax: place.returnSuffix ? 'suffix' : 'prefix' }),
    ...(head.maxactive !== undefined && { maxactive: head.maxactive }),
    ...(head.group !== undefined && { groupName: head.group }),
    ...(head.event !== undefined && { eventName: head.event }),
    location: place.location,
    args,
  };
  try {
    return validate(def);
  } catch (error) {
    if (!(error instanceof ProbeDefinitionError)) throw error;
    throw error.inText(text, positionOf(error, headToken, head, placeToken, argTokens));
  }
}

/** `NAME=`: how an argument starts, and how no probe location can start. */
const FETCH_ARG_START = /^[A-Za-z_][A-Za-z0-9_]*=/;

/**
 * The hint for a definition without a probe location. `p:do_sys_openat2 x=...` names the event
 * do_sys_openat2 and probes nothing; the user almost always meant the symbol, `p do_sys_openat2 x=...`.
 */
function missingLocationHint(text: string, head: Head): string {
  const generic = 'add a kernel symbol, an address, PATH:OFFSET, a function or a tracepoint after it';
  if (head.event === undefined) return generic;
  if (head.group !== undefined) return `${generic}: GROUP/EVENT names the event, the probe point comes after a space`;
  return didYouMeanLocation(text);
}

/** "Did you mean" the definition with the ':' after the probe type made a space (`p:SYM` → `p SYM`). */
function didYouMeanLocation(text: string): string {
  const trimmed = text.trim();
  const colon = trimmed.indexOf(':');
  const meant = `${trimmed.slice(0, colon)} ${trimmed.slice(colon + 1)}`;
  const names = `${trimmed.slice(0, colon)}:NAME`;
  return `did you mean \`${cutInput(meant)}\`? '${names}' names the event; the probe point comes after a space`;
}

// Maps a validation error back to the token it is about.
function positionOf(
  error: ProbeDefinitionError,
  headToken: Token,
  head: Head,
  placeToken: Token,
  argTokens: readonly Token[],
): number | undefined {
  switch (error.where?.part) {
    case 'head':
    case 'maxactive':
      return headToken.start + (error.where.part === 'maxactive' ? 1 : 0);
    case 'group':
      return headToken.start + head.nameStart;
    case 'event':
      return headToken.start + head.eventStart;
    case 'location':
      return placeToken.start;
    case 'arg':
      return argTokens[error.where.argIndex ?? 0]?.start;
    default:
      return undefined;
  }
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  for (const match of text.matchAll(/[^ ]+/g)) tokens.push({ text: match[0], start: match.index });
  return tokens;
}

// Runs a token parser, shifting token-relative error positions to text positions.
function within<T>(token: Token, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ProbeDefinitionError && error.definition === undefined) {
      throw new ProbeDefinitionError(error.problem, {
        code: error.code,
        hint: error.hint,
        position: token.start + (error.position ?? 0),
        where: error.where,
      });
    }
    throw error;
  }
}

function parseHead(token: string): Head {
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
  const colon = token.indexOf(':');
  const digits = token.slice(1, colon < 0 ? token.length : colon);
  let maxactive: number | undefined;
  if (digits.length > 0) {
    if (!/^[0-9]/.test(digits)) {
      syntaxError(
        'BAD_PROBE_TYPE',
        1,
        `Unexpected '${cutInput(digits)}' after the probe type '${letter}' in '${cutInput(token)}'.`,
        `write ${letter}:GROUP/EVENT, or just ${letter}`,
      );
    }
    maxactive = toSafeInteger(parseKernelUnsigned(digits));
    if (maxactive === undefined) {
      syntaxError(
        'BAD_MAXACT',
        1,
        `'${cutInput(digits)}' in '${cutInput(token)}' is not a maxactive count.`,
        'write r<N>: with N from 1 to 4096, e.g. r16:mygroup/myevent',
      );
    }
  }
  const base = { letter, ...(maxactive !== undefined && { maxactive }) } as const;
  if (colon < 0) return { ...base, nameStart: 0, eventStart: 0 };
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
  if (sep < 0) return { ...base, event: names, nameStart, eventStart: nameStart };
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
    ...base,
    group: names.slice(0, sep),
    ...(event.length > 0 && { event }),
    nameStart,
    eventStart: nameStart + sep + 1,
  };
}

/** True when a p/r location names a library (`libc.so.6:malloc`): module names never hold a '.'. */
function namesLibrary(token: string): boolean {
  const colon = token.indexOf(':');
  return colon > 0 && token.slice(0, colon).includes('.');
}

function parsePlace(letter: Head['letter'], token: string, bare: boolean): Place {
  if (letter === 't') {
    if (token.includes('%')) {
      syntaxError(
        'BAD_ADDR_SUFFIX',
        token.indexOf('%'),
        `'${cutInput(token.slice(token.indexOf('%')))}' cannot follow tracepoint '${cutInput(token)}'.`,
        'tracepoint probes have no return form; remove the suffix',
      );
    }
    return { kind: 'tprobe', location: { type: 'tracepoint', name: token }, returnSuffix: false };
  }
  if (letter !== 'f' && (bare || token.includes('/') || namesLibrary(token))) {
    // Only the part after the path's last ':' can hold the suffix; a path may contain '%'.
    const colon = token.lastIndexOf(':');
    const returnSuffix = hasReturnSuffix(token, colon < 0 ? token.length : colon, true);
    return { kind: 'uprobe', location: parseUprobePlace(token), returnSuffix };
  }
  const returnSuffix = hasReturnSuffix(token, 0, false);
  const body = returnSuffix ? token.slice(0, token.indexOf('%')) : token;
  if (letter === 'f') {
    const [module, symbol] = splitModule(body);
    // Module names may contain '-'; only the symbol part can carry an offset.
    const sign = symbol.search(/[+-]/);
    if (sign >= 0) {
      syntaxError(
        'BAD_PROBE_ADDR',
        body.length - symbol.length + sign,
        `fprobe location '${cutInput(token)}' has an offset.`,
        'fprobes attach to function entry or exit only; use a kprobe (p SYMBOL+OFFSET) to probe inside a function',
      );
    }
    return {
      kind: 'fprobe',
      location: { type: 'function', ...(module !== undefined && { module }), symbol },
      returnSuffix,
    };
  }
  return { kind: 'kprobe', location: parseKprobePlace(body, token), returnSuffix };
}

// True when the token ends in '%return' (searching from `from`); any other '%' suffix is BAD_ADDR_SUFFIX.
// Uprobes may have '(REF)' after the suffix.
function hasReturnSuffix(token: string, from: number, allowRefCounter: boolean): boolean {
  const pct = token.indexOf('%', from);
  if (pct < 0) return false;
  const suffix = allowRefCounter ? token.slice(pct).replace(/\(.*$/, '') : token.slice(pct);
  if (suffix !== '%return') {
    syntaxError(
      'BAD_ADDR_SUFFIX',
      pct,
      `'${cutInput(suffix)}' is not a valid suffix in '${cutInput(token)}'.`,
      "the only suffix is '%return', which makes a return probe",
    );
  }
  return true;
}

function splitModule(body: string): [string | undefined, string] {
  const colon = body.indexOf(':');
  if (colon < 0) return [undefined, body];
  if (colon === 0) {
    syntaxError(
      'BAD_MODULE',
      0,
      `'${cutInput(body)}' has ':' but no module name before it.`,
      'write MODULE:SYMBOL, or just SYMBOL',
    );
  }
  return [body.slice(0, colon), body.slice(colon + 1)];
}

function parseKprobePlace(body: string, token: string): ProbeLocation {
  // Like modern kernels: a number is an address; anything else is a symbol, so modules whose
  // names start with a digit (9p, 8021q) work as MODULE:SYMBOL.
  if (/^[0-9]/.test(body) && !body.includes(':')) {
    const address = parseKernelUnsigned(body);
    if (address === undefined) {
      const extra = /[+%-]/.test(token);
      syntaxError(
        'BAD_PROBE_ADDR',
        0,
        `'${cutInput(token)}' is not a kernel address${extra ? ': an address takes no offset or suffix' : ''}.`,
        extra
          ? 'probe SYMBOL+OFFSET instead, add the offset to the address yourself, or use r for a return probe'
          : 'write the address as one number, e.g. 0xffffffff81234560',
      );
    }
    return { type: 'kaddr', address };
  }
  const [module, rest] = splitModule(body);
  const sign = rest.search(/[+-]/);
  const symbol = sign < 0 ? rest : rest.slice(0, sign);
  const shift = module === undefined ? 0 : module.length + 1;
  if (symbol.length === 0) {
    syntaxError('BAD_SYMBOL', shift, `'${cutInput(token)}' has no symbol name.`, 'write [MODULE:]SYMBOL[+OFFSET]');
  }
  let offset = 0;
  if (sign >= 0) {
    if (rest[sign] === '-') {
      syntaxError(
        'BAD_PROBE_ADDR',
        shift + sign,
        `Negative offset '${cutInput(rest.slice(sign))}' in kprobe location '${cutInput(token)}'.`,
        'offsets count forward from the symbol: write SYMBOL+N',
      );
    }
    const parsed = toSafeInteger(parseKernelUnsigned(rest.slice(sign + 1)));
    if (parsed === undefined) {
      syntaxError(
        'BAD_PROBE_ADDR',
        shift + sign + 1,
        `'${cutInput(rest.slice(sign + 1))}' is not an offset in kprobe location '${cutInput(token)}'.`,
        'write SYMBOL+N with one number N, e.g. vfs_read+0x10',
      );
    }
    offset = parsed;
  }
  return { type: 'ksym', ...(module !== undefined && { module }), symbol, offset };
}

function parseUprobePlace(token: string): ProbeLocation {
  // Like the kernel, the *last* ':' separates the path (which may contain ':').
  const colon = token.lastIndexOf(':');
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
  let rest = token.slice(colon + 1);
  let refCtrOffset: number | undefined;
  const paren = rest.indexOf('(');
  if (paren >= 0) {
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
    if (ref !== 0) refCtrOffset = ref;
    rest = rest.slice(0, paren);
  }
  const pct = rest.indexOf('%');
  if (pct >= 0) rest = rest.slice(0, pct); // checked by hasReturnSuffix
  const withRef = refCtrOffset === undefined ? {} : { refCtrOffset };
  if (/^[0-9]/.test(rest)) {
    const offset = toSafeInteger(parseKernelUnsigned(rest));
    if (offset === undefined) {
      syntaxError(
        'BAD_UPROBE_OFFS',
        colon + 1,
        `'${cutInput(rest)}' is not a file offset in uprobe location '${cutInput(token)}'.`,
        'write PATH:OFFSET with one number, e.g. /bin/bash:0x4245c0',
      );
    }
    return { type: 'uoffset', path, offset, ...withRef };
  }
  if (rest.length === 0) {
    syntaxError(
      'BAD_UPROBE_OFFS',
      colon + 1,
      `Uprobe location '${cutInput(token)}' has nothing after ':'.`,
      'write PATH:OFFSET or PATH:SYMBOL[+OFFSET]',
    );
  }
  const plus = rest.indexOf('+');
  const symbol = plus < 0 ? rest : rest.slice(0, plus);
  const offset = plus < 0 ? 0 : toSafeInteger(parseKernelUnsigned(rest.slice(plus + 1)));
  if (offset === undefined) {
    syntaxError(
      'BAD_UPROBE_OFFS',
      colon + 2 + plus,
      `'${cutInput(rest.slice(plus + 1))}' is not an offset in '${cutInput(token)}'.`,
      'write PATH:SYMBOL+N with one number N',
    );
  }
  return { type: 'usym', path, symbol, offset, ...withRef };
}
