/**
 * Parses the second token of a definition, the probe location, into the model: which kind of probe
 * the head letter and the token's form make, the location itself, and whether a `%return` suffix
 * makes it a return probe. Kernel forms (`[MOD:]SYMBOL[+OFFS]`, addresses, fprobe functions,
 * tracepoints) are read here; uprobe forms in parse-uprobe-location.ts. Positions in errors count
 * from the start of the location token.
 */
import type { ProbeKind, ProbeLocation } from './definition.js';
import { syntaxError } from './errors.js';
import { parseKernelUnsigned, toSafeInteger } from './numbers.js';
import type { Head } from './parse-head.js';
import { parseUprobeLocation } from './parse-uprobe-location.js';
import { cutInput } from '../errors.js';

/** What a location token says: the probe kind it makes, the location, and whether it ends in `%return`. */
export interface Place {
  readonly kind: ProbeKind;
  readonly location: ProbeLocation;
  readonly returnSuffix: boolean;
}

/**
 * Parses location token `token` for a probe of type `letter`. `bare` is true for a bare `PATH:SYMBOL`
 * given without a head, which is always a uprobe.
 */
export function parsePlace(letter: Head['letter'], token: string, bare: boolean): Place {
  if (letter === 't') return parseTracepointPlace(token);
  if (letter !== 'f' && (bare || token.includes('/') || namesLibrary(token))) return parseUprobePlace(token);
  const returnSuffix = hasReturnSuffix(token, 0, false);
  const body = returnSuffix ? token.slice(0, token.indexOf('%')) : token;
  if (letter === 'f') return parseFunctionPlace(body, token, returnSuffix);
  return { kind: 'kprobe', location: parseKprobeLocation(body, token), returnSuffix };
}

/** True when a p/r location names a library (`libc.so.6:malloc`): module names never hold a '.'. */
function namesLibrary(token: string): boolean {
  const colon = token.indexOf(':');
  return colon > 0 && token.slice(0, colon).includes('.');
}

function parseTracepointPlace(token: string): Place {
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

function parseUprobePlace(token: string): Place {
  // Only the part after the path's last ':' can hold the suffix; a path may contain '%'.
  const colon = token.lastIndexOf(':');
  const returnSuffix = hasReturnSuffix(token, colon < 0 ? token.length : colon, true);
  return { kind: 'uprobe', location: parseUprobeLocation(token), returnSuffix };
}

// `body` is the token without its '%return'.
function parseFunctionPlace(body: string, token: string, returnSuffix: boolean): Place {
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

function parseKprobeLocation(body: string, token: string): ProbeLocation {
  // Like modern kernels: a number is an address; anything else is a symbol, so modules whose
  // names start with a digit (9p, 8021q) work as MODULE:SYMBOL.
  if (/^[0-9]/.test(body) && !body.includes(':')) return parseKernelAddress(body, token);
  return parseKernelSymbol(body, token);
}

function parseKernelAddress(body: string, token: string): ProbeLocation {
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

// `[MODULE:]SYMBOL[+OFFSET]`.
function parseKernelSymbol(body: string, token: string): ProbeLocation {
  const [module, rest] = splitModule(body);
  const sign = rest.search(/[+-]/);
  const symbol = sign < 0 ? rest : rest.slice(0, sign);
  const shift = module === undefined ? 0 : module.length + 1;
  if (symbol.length === 0) {
    syntaxError('BAD_SYMBOL', shift, `'${cutInput(token)}' has no symbol name.`, 'write [MODULE:]SYMBOL[+OFFSET]');
  }
  const offset = sign < 0 ? 0 : parseSymbolOffset(rest, sign, shift, token);
  return { type: 'ksym', ...(module !== undefined && { module }), symbol, offset };
}

// The offset after the '+' or '-' at `sign` in `rest`, the location without its module; `shift` is
// where `rest` starts in the token.
function parseSymbolOffset(rest: string, sign: number, shift: number, token: string): number {
  if (rest[sign] === '-') {
    syntaxError(
      'BAD_PROBE_ADDR',
      shift + sign,
      `Negative offset '${cutInput(rest.slice(sign))}' in kprobe location '${cutInput(token)}'.`,
      'offsets count forward from the symbol: write SYMBOL+N',
    );
  }
  const offset = toSafeInteger(parseKernelUnsigned(rest.slice(sign + 1)));
  if (offset === undefined) {
    syntaxError(
      'BAD_PROBE_ADDR',
      shift + sign + 1,
      `'${cutInput(rest.slice(sign + 1))}' is not an offset in kprobe location '${cutInput(token)}'.`,
      'write SYMBOL+N with one number N, e.g. vfs_read+0x10',
    );
  }
  return offset;
}
