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
import type { ProbeArg, ProbeDefinition } from './definition.js';
import { ProbeDefinitionError, syntaxError } from './errors.js';
import { parseArgToken } from './parse-arg.js';
import { didYouMeanLocation, parseHead, type Head } from './parse-head.js';
import { parsePlace, type Place } from './parse-location.js';
import { checkDefinitionText, validate } from './validate.js';
import { cutInput } from '../errors.js';

// A space-separated word of the text and where it starts, so errors can point into the text.
interface Token {
  readonly text: string;
  readonly start: number;
}

// The tokens of a definition by role; `head` is the location token again for a bare target.
interface Tokens {
  readonly head: Token;
  readonly place: Token | undefined;
  readonly args: readonly Token[];
}

// The parsed head and the tokens it came from, to point validation errors at the right token.
interface Layout {
  readonly head: Head;
  readonly headToken: Token;
  readonly placeToken: Token;
  readonly argTokens: readonly Token[];
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

/** The head a bare `PATH:SYMBOL` implies: an entry probe without names. */
const BARE_HEAD: Head = { letter: 'p', nameStart: 0, eventStart: 0 };

function parseChecked(text: string, bare: boolean): ProbeDefinition {
  const tokens = splitTokens(text, bare);
  const headToken = tokens.head;
  const head = bare ? BARE_HEAD : within(headToken, () => parseHead(headToken.text));
  const placeToken = requireLocation(text, head, tokens);
  const place = within(placeToken, () => parsePlace(head.letter, placeToken.text, bare));
  const args: ProbeArg[] = tokens.args.map((token, index) => within(token, () => parseArgToken(token.text, index)));
  const def = assemble(head, place, args);
  return validateInText(def, text, { head, headToken, placeToken, argTokens: tokens.args });
}

function splitTokens(text: string, bare: boolean): Tokens {
  const tokens = tokenize(text);
  // A bare target (one token, so tokens[0] exists) is its own location, with the head `p` implied.
  const [head, place, ...args] = bare ? [tokens[0]!, ...tokens] : tokens;
  if (head === undefined) {
    syntaxError(
      'EMPTY',
      0,
      'The definition is empty.',
      'write e.g. "p:mygroup/myevent do_sys_openat2" or "p /bin/bash:0x4245c0"',
    );
  }
  return { head, place, args };
}

// The location token, after refusing a definition that has none.
function requireLocation(text: string, head: Head, tokens: Tokens): Token {
  const place = tokens.place;
  if (place === undefined) {
    syntaxError(
      'NO_LOCATION',
      text.length,
      `'${cutInput(tokens.head.text)}' is not followed by a probe location.`,
      missingLocationHint(text, head),
    );
  }
  if (FETCH_ARG_START.test(place.text)) {
    syntaxError(
      'NO_LOCATION',
      place.start,
      `'${cutInput(place.text)}' is an argument (NAME=FETCHARG), not a probe location.`,
      missingLocationHint(text, head),
    );
  }
  return place;
}

function assemble(head: Head, place: Place, args: ProbeArg[]): ProbeDefinition {
  const isReturn = head.letter === 'r' || place.returnSuffix;
  return {
    kind: place.kind,
    isReturn,
    ...(isReturn && { returnSyntax: place.returnSuffix ? 'suffix' : 'prefix' }),
    ...(head.maxactive !== undefined && { maxactive: head.maxactive }),
    ...(head.group !== undefined && { groupName: head.group }),
    ...(head.event !== undefined && { eventName: head.event }),
    location: place.location,
    args,
  };
}

// Validates the parsed definition, giving its errors the text and the position of the token at fault.
function validateInText(def: ProbeDefinition, text: string, layout: Layout): ProbeDefinition {
  try {
    return validate(def);
  } catch (error) {
    if (!(error instanceof ProbeDefinitionError)) throw error;
    throw error.inText(text, positionOf(error, layout));
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

// Maps a validation error back to the token it is about.
function positionOf(
  error: ProbeDefinitionError,
  { head, headToken, placeToken, argTokens }: Layout,
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
