/**
 * Parses one `[NAME=]FETCHARG[:TYPE]` token into a {@link ProbeArg}.
 *
 * This is syntax only, following the kernel's own split rules (first `=`
 * ends the name, first `:` starts the type, a dereference's inner argument
 * runs to the last `)`), so that text the kernel would read one way is never
 * read another way here. Whether the argument makes sense for the probe is
 * validate-arg.ts's job. Error positions are relative to the token.
 */
import { isBasicTypeName, type ArgType, type FetchNode, type ProbeArg } from './definition.js';
import { syntaxError } from './errors.js';
import { parseDecimal, parseKernelSigned, parseKernelUnsigned, toSafeInteger } from './numbers.js';
import { cutInput } from '../errors.js';

/**
 * Parses argument token number `index` (0-based). An argument without `NAME=`
 * gets the kernel's default name `arg<index+1>`.
 */
export function parseArgToken(token: string, index: number): ProbeArg {
  const eq = token.indexOf('=');
  if (eq === 0) {
    syntaxError(
      'NO_ARG_NAME',
      0,
      `Argument '${cutInput(token)}' has '=' but no name before it.`,
      `write NAME=${cutInput(token.slice(1))}, or drop the '=' to get the default name arg${index + 1}`,
    );
  }
  const bodyStart = eq + 1;
  const body = token.slice(bodyStart);
  const name = eq > 0 ? token.slice(0, eq) : `arg${index + 1}`;
  if (body.length === 0) {
    syntaxError(
      'NO_ARG_BODY',
      bodyStart,
      `Argument '${cutInput(name)}' has no fetch expression after '='.`,
      `write ${name}=FETCHARG, e.g. ${name}=%di or ${name}=$arg1`,
    );
  }
  const colon = body.indexOf(':');
  const fetchText = colon < 0 ? body : body.slice(0, colon);
  const fetch = parseFetch(fetchText, bodyStart, name);
  if (colon < 0) return { name, fetch };
  const type = parseType(body.slice(colon + 1), bodyStart + colon + 1, name);
  return { name, fetch, type };
}

/** Parses a fetch expression (no name, no type); `at` is its position for error reports. */
export function parseFetch(text: string, at: number, argName: string): FetchNode {
  if (text.length === 0) {
    syntaxError(
      'BAD_FETCH_ARG',
      at,
      `Argument '${cutInput(argName)}' has an empty fetch expression.`,
      'write a register (%di), a variable ($arg1, $stack0, $retval, $comm), ' +
        'memory (@ADDR, @SYM, +OFFS(ARG)) or an immediate (\\123)',
    );
  }
  switch (text[0]) {
    case '$':
      return parseVariable(text, at, argName);
    case '%': {
      const name = text.slice(1);
      if (!/^[A-Za-z0-9_]+$/.test(name)) {
        syntaxError(
          'BAD_REG_NAME',
          at,
          `'${cutInput(text)}' in argument '${cutInput(argName)}' is not a register name.`,
          'write % followed by an x86_64 pt_regs name, e.g. %di or %ax',
        );
      }
      return { op: 'reg', name };
    }
    case '@':
      return parseMemory(text, at, argName);
    case '+':
    case '-':
      return parseDeref(text, at, argName);
    case '\\':
      return parseImmediate(text, at, argName);
    default:
      if (/^[A-Za-z_]/.test(text)) {
        syntaxError(
          'NO_BTF_ARGS',
          at,
          `'${cutInput(text)}' in argument '${cutInput(argName)}' is a bare name: the kernel reads it as ` +
            'a BTF variable (Linux 6.6+, CONFIG_PROBE_EVENTS_BTF_ARGS), which perf-bridge does not model.',
          'use $argN for a function argument or %REG for a register',
        );
      }
      return syntaxError(
        'BAD_FETCH_ARG',
        at,
        `'${cutInput(text)}' in argument '${cutInput(argName)}' is not a fetch expression.`,
        'start it with % (register), $ (variable), @ (memory), +/- (dereference) or \\ (immediate)',
      );
  }
}

function parseVariable(text: string, at: number, argName: string): FetchNode {
  const name = text.slice(1);
  if (name === 'retval') return { op: 'retval' };
  if (name === 'stack') return { op: 'stack' };
  if (name === 'comm' || name === 'COMM') return { op: 'comm' };
  const stack = /^stack(.*)$/.exec(name);
  if (stack) {
    const index = toSafeInteger(parseDecimal(stack[1] ?? ''));
    if (index === undefined) {
      syntaxError(
        'BAD_STACK_NUM',
        at,
        `'${cutInput(text)}' in argument '${cutInput(argName)}' is not a stack slot.`,
        'write $stack for the stack pointer or $stackN (decimal N >= 0) for the Nth word',
      );
    }
    return { op: 'stackN', index };
  }
  const arg = /^arg(.*)$/.exec(name);
  if (arg) {
    if (arg[1] === '*') {
      syntaxError(
        'NO_BTF_ARGS',
        at,
        `'$arg*' in argument '${cutInput(argName)}' expands to all arguments using BTF, ` +
          'which perf-bridge does not model.',
        'list the arguments you need as $arg1, $arg2, ...',
      );
    }
    const index = toSafeInteger(parseDecimal(arg[1] ?? ''));
    if (index === undefined) {
      syntaxError(
        'BAD_ARG_NUM',
        at,
        `'${cutInput(text)}' in argument '${cutInput(argName)}' is not a function argument.`,
        'write $argN with a decimal N >= 1, e.g. $arg1',
      );
    }
    return { op: 'arg', index };
  }
  return syntaxError(
    'BAD_VAR',
    at,
    `Unknown variable '${cutInput(text)}' in argument '${cutInput(argName)}'.`,
    'the variables are $retval, $stack, $stackN, $comm and $argN',
  );
}

function parseMemory(text: string, at: number, argName: string): FetchNode {
  const rest = text.slice(1);
  if (/^[0-9]/.test(rest)) {
    const address = parseKernelUnsigned(rest);
    if (address === undefined) {
      syntaxError(
        'BAD_MEM_ADDR',
        at,
        `'${cutInput(text)}' in argument '${cutInput(argName)}' is not a memory address.`,
        'write @ followed by one number, e.g. @0xffffffff81000000; use +OFFS(@ADDR) to add an offset',
      );
    }
    return { op: 'memAddr', address };
  }
  if (rest.startsWith('+')) {
    const offset = toSafeInteger(parseKernelUnsigned(rest.slice(1)));
    if (offset === undefined) {
      syntaxError(
        'BAD_FILE_OFFS',
        at,
        `'${cutInput(text)}' in argument '${cutInput(argName)}' is not a file offset.`,
        'write @+OFFSET with a non-negative number, e.g. @+0x4010',
      );
    }
    return { op: 'fileOffset', offset };
  }
  const sign = rest.search(/[+-]/);
  const symbol = sign < 0 ? rest : rest.slice(0, sign);
  if (symbol.length === 0) {
    syntaxError(
      'BAD_MEM_ADDR',
      at,
      `'${cutInput(text)}' in argument '${cutInput(argName)}' has no address or symbol after '@'.`,
      'write @ADDR, @SYMBOL[+|-OFFSET] or (uprobes) @+FILE_OFFSET',
    );
  }
  if (sign < 0) return { op: 'memSymbol', symbol, offset: 0 };
  const offset = toSafeInteger(parseKernelSigned(rest.slice(sign)));
  if (offset === undefined) {
    syntaxError(
      'BAD_MEM_ADDR',
      at + 1 + sign,
      `'${cutInput(rest.slice(sign))}' in '${cutInput(text)}' (argument '${cutInput(argName)}') ` +
        'is not a symbol offset.',
      'write @SYMBOL+N or @SYMBOL-N with one number',
    );
  }
  return { op: 'memSymbol', symbol, offset };
}

function parseDeref(text: string, at: number, argName: string): FetchNode {
  const negative = text.startsWith('-');
  const user = text[1] === 'u';
  const offsetStart = user ? 2 : 1;
  const open = text.indexOf('(');
  if (open < 0) {
    syntaxError(
      'DEREF_NEED_BRACE',
      at,
      `Dereference '${cutInput(text)}' in argument '${cutInput(argName)}' has no '('.`,
      `write ${text[0]}OFFSET(FETCHARG), e.g. +8(%di)`,
    );
  }
  const magnitude = parseKernelUnsigned(text.slice(offsetStart, open));
  const offset = toSafeInteger(magnitude === undefined ? undefined : negative ? -magnitude : magnitude);
  if (offset === undefined) {
    syntaxError(
      'BAD_DEREF_OFFS',
      at + offsetStart,
      `'${cutInput(text.slice(offsetStart, open) || '(nothing)')}' is not a dereference offset ` +
        `in '${cutInput(text)}' (argument '${cutInput(argName)}').`,
      `write ${text[0]}${user ? 'u' : ''}N(...) with one number N, e.g. +0(%di) or -8(%bp)`,
    );
  }
  // The kernel takes the inner argument up to the *last* ')' (strrchr).
  const close = text.lastIndexOf(')');
  if (close < open) {
    syntaxError(
      'DEREF_OPEN_BRACE',
      at + text.length,
      `Dereference '${cutInput(text)}' in argument '${cutInput(argName)}' is missing its ')'.`,
      'close every ( with a )',
    );
  }
  if (close !== text.length - 1) {
    // The kernel silently ignores text after the last ')'; we refuse it.
    syntaxError(
      'DEREF_TRAILING',
      at + close + 1,
      `'${cutInput(text.slice(close + 1))}' after ')' in '${cutInput(text)}' ` +
        `(argument '${cutInput(argName)}') would be ignored by the kernel.`,
      'remove it, or put a type after ":" instead',
    );
  }
  const target = parseFetch(text.slice(open + 1, close), at + open + 1, argName);
  return { op: 'deref', offset, user, target };
}

function parseImmediate(text: string, at: number, argName: string): FetchNode {
  if (text[1] === '"') {
    if (text.length < 3 || !text.endsWith('"')) {
      syntaxError(
        'IMMSTR_NO_CLOSE',
        at + text.length,
        `Immediate string '${cutInput(text)}' in argument '${cutInput(argName)}' is not closed with '"'.`,
        'write \\"TEXT" (no spaces: the kernel splits the line at spaces)',
      );
    }
    return { op: 'immString', value: text.slice(2, -1) };
  }
  const rest = text.slice(1);
  // str_to_immediate(): a digit starts an unsigned number, '-' a negative one, '+' is skipped.
  const value = /^[0-9]/.test(rest)
    ? parseKernelUnsigned(rest)
    : rest.startsWith('-')
      ? parseKernelSigned(rest)
      : rest.startsWith('+') && /^[0-9]/.test(rest.slice(1))
        ? parseKernelSigned(rest.slice(1))
        : undefined;
  if (value === undefined) {
    syntaxError(
      'BAD_IMM',
      at + 1,
      `'${cutInput(text)}' in argument '${cutInput(argName)}' is not an immediate value.`,
      'write \\N with a number (\\123, \\0x7b, \\-1) or \\"TEXT" for a string',
    );
  }
  return { op: 'imm', value };
}

// Names people try for types, mapped to what the kernel calls them.
const TYPE_SUGGESTIONS: Readonly<Record<string, string>> = {
  int: 's32',
  'unsigned int': 'u32',
  long: 's64',
  ulong: 'u64',
  ptr: 'x64',
  pointer: 'x64',
  bool: 'u8',
  str: 'string',
  u: 'u64',
  s: 's64',
  x: 'x64',
  i8: 's8',
  i16: 's16',
  i32: 's32',
  i64: 's64',
  pd: '%pd',
  pD: '%pD',
};

/** Parses a type (the text after the first `:`); `at` is its position for error reports. */
export function parseType(text: string, at: number, argName: string): ArgType {
  let base = text;
  let arrayLength: number | undefined;
  const bracket = text.indexOf('[');
  if (bracket >= 0) {
    const close = text.indexOf(']', bracket);
    if (close < 0) {
      syntaxError(
        'ARRAY_NO_CLOSE',
        at + text.length,
        `Array type '${cutInput(text)}' of argument '${cutInput(argName)}' is missing its ']'.`,
        'write TYPE[N], e.g. u8[16]',
      );
    }
    if (close !== text.length - 1) {
      syntaxError(
        'BAD_ARRAY_SUFFIX',
        at + close + 1,
        `'${cutInput(text.slice(close + 1))}' after ']' in type '${cutInput(text)}' ` +
          `of argument '${cutInput(argName)}' is not allowed.`,
        'end the type with [N]',
      );
    }
    arrayLength = toSafeInteger(parseKernelUnsigned(text.slice(bracket + 1, close)));
    if (arrayLength === undefined) {
      syntaxError(
        'BAD_ARRAY_NUM',
        at + bracket + 1,
        `'${cutInput(text.slice(bracket + 1, close))}' is not an array length ` +
          `in type '${cutInput(text)}' of argument '${cutInput(argName)}'.`,
        'write a number from 1 to 64 between [ and ]',
      );
    }
    base = text.slice(0, bracket);
  }
  const withArray = arrayLength === undefined ? {} : { arrayLength };
  if (base.startsWith('b')) {
    const bits = /^b([^@]*)@([^/]*)\/(.*)$/.exec(base);
    const width = toSafeInteger(parseKernelUnsigned(bits?.[1] ?? ''));
    const offset = toSafeInteger(parseKernelUnsigned(bits?.[2] ?? ''));
    const container = toSafeInteger(parseKernelUnsigned(bits?.[3] ?? ''));
    if (
      width === undefined ||
      offset === undefined ||
      (container !== 8 && container !== 16 && container !== 32 && container !== 64)
    ) {
      syntaxError(
        'BAD_BITFIELD',
        at,
        `'${cutInput(base)}' is not a bitfield type (argument '${cutInput(argName)}').`,
        'write b<bit-width>@<bit-offset>/<container-size> with a container of 8, 16, 32 or 64 bits, e.g. b4@2/32',
      );
    }
    return { kind: 'bitfield', width, offset, container, ...withArray };
  }
  if (!isBasicTypeName(base)) {
    const suggestion = TYPE_SUGGESTIONS[base];
    syntaxError(
      'BAD_TYPE',
      at,
      `Unknown type '${cutInput(base)}' for argument '${cutInput(argName)}'.`,
      (suggestion === undefined ? '' : `write '${suggestion}'; `) +
        'the types are u8/u16/u32/u64, s8..s64, x8..x64, char, symbol, string, ustring, symstr, %pd, %pD, ' +
        'bitfields b<w>@<o>/<c> and arrays TYPE[N]',
    );
  }
  return { kind: 'basic', name: base, ...withArray };
}
