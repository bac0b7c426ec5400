/**
 * Rules for one argument (`NAME=FETCHARG[:TYPE]`), mirroring
 * traceprobe_parse_probe_arg() and friends in kernel/trace/trace_probe.c:
 * what each fetch form needs from the probe (return probe, function entry,
 * kernel or user space), which types go with which fetches, and the limits
 * on names, expression length and instruction count.
 */
import {
  LIMITS,
  RESERVED_FIELD_NAMES,
  typeElementSize,
  type ArgType,
  type FetchNode,
  type ProbeArg,
  type ProbeKind,
  type ProbeLocation,
} from './definition.js';
import { fail, type ProbeErrorCode } from './errors.js';
import { isGoodName, suggestName } from './names.js';
import { S64_MAX, S64_MIN, U64_MAX } from './numbers.js';
import { isX86Register, registerHint, X86_64_ARGUMENT_REGISTERS } from './registers.js';
import { renderArgBody, renderFetch, renderType } from './render.js';
import { cutInput } from '../errors.js';

/** What an argument's rules depend on: the probe it belongs to. */
export interface ArgContext {
  readonly kind: ProbeKind;
  readonly isReturn: boolean;
  readonly location: ProbeLocation;
}

/** Kernel symbol names (kallsyms): letters, digits, `_` and `.` (as in `foo.isra.0`). */
export const KERNEL_SYMBOL = /^[A-Za-z_.][A-Za-z0-9_.$]*$/;

/** The type the kernel gives the argument: `$comm` and immediate strings default to `string`. */
export function effectiveType(arg: ProbeArg): ArgType | undefined {
  if (arg.type === undefined && (arg.fetch.op === 'comm' || arg.fetch.op === 'immString'))
    return { kind: 'basic', name: 'string' };
  return arg.type;
}

/** Bytes the argument takes in the fixed part of the record (what MAX_PROBE_EVENT_SIZE counts). */
export function argDataSize(arg: ProbeArg): number {
  const type = effectiveType(arg);
  return typeElementSize(type) * (type?.arrayLength ?? 1);
}

// Fetches that end in a memory load (DEREF/UDEREF), which string and array types need.
function isMemoryFetch(node: FetchNode): boolean {
  return node.op === 'deref' || node.op === 'memAddr' || node.op === 'memSymbol' || node.op === 'fileOffset';
}

// Instructions the kernel's parser emits for a fetch tree (before store/modify ops).
function loadOps(node: FetchNode): number {
  switch (node.op) {
    case 'deref':
      return 1 + loadOps(node.target);
    case 'memAddr':
    case 'fileOffset':
      return 2;
    case 'memSymbol':
      return 3;
    default:
      return 1;
  }
}

/** Fetch instructions the kernel needs for the argument (it has room for {@link LIMITS.maxFetchOps}). */
export function fetchOpCount(arg: ProbeArg): number {
  const type = effectiveType(arg);
  const dentry = type?.kind === 'basic' ? (({ '%pd': 2, '%pD': 3 } as Record<string, number>)[type.name] ?? 0) : 0;
  const top = arg.fetch;
  let ops = loadOps(top) + dentry;
  const memory = isMemoryFetch(top) || dentry > 0;
  const array = type?.arrayLength !== undefined;
  if (type?.kind === 'basic' && ['string', 'ustring', 'symstr'].includes(type.name)) {
    if (type.name === 'symstr' || !memory || array) ops += 1;
  } else if (!memory) {
    ops += 1; // a raw store after a register/stack/immediate load
  }
  if (type?.kind === 'bitfield') ops += 1;
  if (array) ops += 1;
  return ops;
}

/**
 * Checks argument number `index` of a probe; `earlierNames` are the names of
 * the arguments before it. Throws {@link ProbeDefinitionError}.
 */
export function validateArg(arg: ProbeArg, ctx: ArgContext, index: number, earlierNames: ReadonlySet<string>): void {
  const where = { part: 'arg', argIndex: index } as const;
  // Messages often start with the argument's label; sentences start upper-case.
  const reject = (code: ProbeErrorCode, message: string, hint: string): never =>
    fail(code, message.charAt(0).toUpperCase() + message.slice(1), hint, where);
  checkArgName(arg.name, earlierNames, reject);
  const label = `argument '${cutInput(arg.name)}'`;
  checkFetch(arg.fetch, ctx, false, label, reject);
  checkType(arg, ctx, label, reject);
  const ops = fetchOpCount(arg);
  if (ops > LIMITS.maxFetchOps) {
    reject(
      'TOO_MANY_OPS',
      `${label} needs ${ops} fetch instructions; the kernel has room for ${LIMITS.maxFetchOps} (FETCH_INSN_MAX).`,
      'nest fewer dereferences',
    );
  }
  const body = expandedBody(arg);
  if (body.length > LIMITS.maxArgExpressionLength) {
    reject(
      'ARG_TOO_LONG',
      `The expression of ${label} is ${body.length} characters ('${cutInput(body)}'); ` +
        `the kernel allows ${LIMITS.maxArgExpressionLength} (MAX_ARGSTR_LEN).`,
      'shorten it: fewer nested dereferences or a shorter symbol name; the name before "=" does not count',
    );
  }
}

// %pd/%pD are rewritten by the kernel into dereferences before the length check;
// struct offsets are assumed to print as two hex digits (true on x86_64 builds we know).
function expandedBody(arg: ProbeArg): string {
  if (arg.type?.kind === 'basic' && arg.type.name === '%pd') return `+0x0(+0x00(${renderFetch(arg.fetch)})):string`;
  if (arg.type?.kind === 'basic' && arg.type.name === '%pD')
    return `+0x0(+0x00(+0x00(${renderFetch(arg.fetch)}))):string`;
  return renderArgBody(arg);
}

type Reject = (code: ProbeErrorCode, message: string, hint: string) => never;

function checkArgName(name: string, earlierNames: ReadonlySet<string>, reject: Reject): void {
  if (name.length === 0) {
    reject('NO_ARG_NAME', 'An argument has an empty name.', 'give every argument a name made of letters, digits and _');
  }
  if (name.length > LIMITS.maxArgNameLength) {
    reject(
      'ARG_NAME_TOO_LONG',
      `Argument name '${cutInput(name)}' is ${name.length} characters long; ` +
        `the kernel allows ${LIMITS.maxArgNameLength} (MAX_ARG_NAME_LEN).`,
      `shorten it, e.g. '${cutInput(name.slice(0, LIMITS.maxArgNameLength))}'`,
    );
  }
  if (!isGoodName(name)) {
    reject(
      'BAD_ARG_NAME',
      `Argument name '${cutInput(name)}' is not a valid C identifier.`,
      `use letters, digits and _ not starting with a digit, e.g. '${suggestName(name)}'`,
    );
  }
  if (RESERVED_FIELD_NAMES.includes(name)) {
    reject(
      'RESERVED_ARG_NAME',
      `Argument name '${cutInput(name)}' is reserved: every probe event already has a field of that name.`,
      `rename it, e.g. '${name.replace(/^_+/, '')}_value'`,
    );
  }
  if (name.startsWith('common_')) {
    // Stricter than the kernel (which reserves only the exact names above): common_* is the
    // prefix of the header fields every event's format file has, and some kernels add more.
    reject(
      'RESERVED_ARG_NAME',
      `Argument name '${cutInput(name)}' starts with 'common_', the prefix of the fields every trace event has.`,
      `rename it, e.g. '${cutInput(name.slice('common_'.length) || 'value')}'`,
    );
  }
  if (earlierNames.has(name)) {
    reject('USED_ARG_NAME', `Argument name '${cutInput(name)}' is used twice.`, 'give each argument its own name');
  }
}

function isKernelSide(ctx: ArgContext): boolean {
  return ctx.kind !== 'uprobe';
}

function checkFetch(node: FetchNode, ctx: ArgContext, underDeref: boolean, label: string, reject: Reject): void {
  switch (node.op) {
    case 'reg':
      if (ctx.kind === 'fprobe' || ctx.kind === 'tprobe') {
        reject(
          'REG_ON_FPROBE',
          `${label} reads register %${node.name}, but ${ctx.kind}s cannot read registers.`,
          'use $argN for function arguments, or a kprobe if you need registers',
        );
      }
      if (!isX86Register(node.name)) {
        reject('BAD_REG_NAME', `Unknown register '%${node.name}' in ${label}.`, registerHint(node.name));
      }
      return;
    case 'stack':
    case 'comm':
      if (node.op === 'comm' && underDeref) {
        reject(
          'COMM_CANT_DEREF',
          `${label} dereferences $comm, which is a string, not an address.`,
          'use $comm on its own',
        );
      }
      return;
    case 'stackN': {
      const max = isKernelSide(ctx) ? LIMITS.maxStackIndex : 0xffffffff;
      if (!Number.isSafeInteger(node.index) || node.index < 0 || node.index > max) {
        reject(
          'BAD_STACK_NUM',
          `$stack${node.index} in ${label} is out of range.`,
          `use $stackN with 0 <= N <= ${max}` +
            (isKernelSide(ctx) ? ' (the kernel stack holds THREAD_SIZE / 8 words)' : ''),
        );
      }
      return;
    }
    case 'retval':
      if (!ctx.isReturn) {
        reject(
          'RETVAL_ON_PROBE',
          `${label} reads $retval, but this is not a return probe.`,
          'use a return probe (r..., SYMBOL%return, kretprobe(), uretprobe() or an fprobe exit)',
        );
      }
      return;
    case 'arg':
      checkArgN(node.index, ctx, label, reject);
      return;
    case 'memAddr':
      if (node.address < 0n || node.address > U64_MAX) {
        reject(
          'BAD_MEM_ADDR',
          `@${node.address} in ${label} is not a 64-bit address.`,
          'use an address from 0 to 0xffffffffffffffff',
        );
      }
      return;
    case 'memSymbol':
      if (ctx.kind === 'uprobe') {
        reject(
          'SYM_ON_UPROBE',
          `${label} reads symbol @${node.symbol}, but uprobes cannot look up symbols.`,
          "use @+FILE_OFFSET (the symbol's file offset) or @ADDR",
        );
      }
      if (!KERNEL_SYMBOL.test(node.symbol)) {
        reject(
          'BAD_SYMBOL',
          `'${cutInput(node.symbol)}' in ${label} is not a kernel symbol name.`,
          'symbol names contain letters, digits, _ and .',
        );
      }
      if (!Number.isSafeInteger(node.offset)) {
        reject(
          'BAD_MEM_ADDR',
          `The offset of @${node.symbol} in ${label} is not an integer.`,
          'use a whole number of bytes',
        );
      }
      return;
    case 'fileOffset':
      if (ctx.kind !== 'uprobe') {
        reject(
          'FILE_ON_KPROBE',
          `${label} reads @+${node.offset}, a file offset, which only uprobes have.`,
          'use @SYMBOL or @ADDR in kernel probes',
        );
      }
      if (!Number.isSafeInteger(node.offset) || node.offset < 0) {
        reject(
          'BAD_FILE_OFFS',
          `@+${node.offset} in ${label} is not a file offset.`,
          'use a non-negative whole number',
        );
      }
      return;
    case 'imm':
      if (node.value < S64_MIN || node.value > U64_MAX) {
        reject(
          'BAD_IMM',
          `Immediate ${node.value} in ${label} does not fit in 64 bits.`,
          'use a value from -2^63 to 2^64-1',
        );
      }
      return;
    case 'immString':
      if (underDeref) {
        reject('COMM_CANT_DEREF', `${label} dereferences an immediate string.`, 'use the string on its own');
      }
      checkImmString(node.value, label, reject);
      return;
    case 'deref':
      if (!Number.isSafeInteger(node.offset) || BigInt(node.offset) < S64_MIN || BigInt(node.offset) > S64_MAX) {
        reject(
          'BAD_DEREF_OFFS',
          `Dereference offset ${node.offset} in ${label} is not an integer.`,
          'use a whole number of bytes',
        );
      }
      checkFetch(node.target, ctx, true, label, reject);
      return;
  }
}

function checkArgN(index: number, ctx: ArgContext, label: string, reject: Reject): void {
  if (!Number.isSafeInteger(index) || index < 1 || index > LIMITS.maxStackIndex) {
    reject(
      'BAD_ARG_NUM',
      `$arg${index} in ${label} is out of range.`,
      `arguments are numbered from 1 ($arg1) to ${LIMITS.maxStackIndex}`,
    );
  }
  const abi = X86_64_ARGUMENT_REGISTERS.map((r) => `%${r}`).join(', ');
  if (ctx.kind === 'uprobe') {
    reject(
      'NOFENTRY_ARGS',
      `${label} uses $arg${index}, but uprobes cannot use $argN ` +
        '(the kernel only accepts it on kernel function entry/exit).',
      `read the ABI register instead: arguments 1-6 are ${abi}`,
    );
  }
  const loc = ctx.location;
  if (loc.type === 'kaddr') {
    reject(
      'NOFENTRY_ARGS',
      `${label} uses $arg${index} on a probe at an address; the kernel only allows $argN on SYMBOL or SYMBOL+0.`,
      'probe the function by name, or read the registers directly',
    );
  }
  if (loc.type === 'ksym' && loc.offset !== 0 && !ctx.isReturn) {
    reject(
      'NOFENTRY_ARGS',
      `${label} uses $arg${index} at ${cutInput(loc.symbol)}+${loc.offset}, ` +
        'but $argN is only valid at function entry (offset 0).',
      `probe ${cutInput(loc.symbol)} itself, or read the registers (${abi}) if they still hold the arguments`,
    );
  }
}

function checkImmString(value: string, label: string, reject: Reject): void {
  // \p{Cc}: the C0 and C1 control characters and DEL (checkDefinitionText refuses them all).
  const bad = /[\s:#"\p{Cc}]/u.exec(value)?.[0];
  if (bad !== undefined) {
    const why = /\s/.test(bad)
      ? 'the kernel splits the line at whitespace'
      : bad === ':'
        ? "the kernel splits an argument at its first ':' (the type)"
        : bad === '#'
          ? "'#' starts a comment in the kernel's parser"
          : bad === '"'
            ? 'it would end the string early when printed'
            : 'control characters are not allowed';
    reject(
      'BAD_IMM_STRING',
      `Immediate string "${value}" in ${label} contains ${JSON.stringify(bad)}: ${why}.`,
      'use a string without spaces, ":", "#" or quotes',
    );
  }
}

function checkType(arg: ProbeArg, ctx: ArgContext, label: string, reject: Reject): void {
  const top = arg.fetch;
  const type = arg.type;
  const shown = renderFetch(top);
  if (top.op === 'comm' || top.op === 'immString') {
    if (type !== undefined && (type.kind !== 'basic' || type.name !== 'string' || type.arrayLength !== undefined)) {
      reject(
        'NEED_STRING_TYPE',
        `${label} is ${top.op === 'comm' ? '$comm' : 'an immediate string'}, ` +
          `which can only have type string, not '${renderType(type)}'.`,
        'drop the type or write :string',
      );
    }
    return;
  }
  if (type === undefined) return;
  if (type.arrayLength !== undefined) checkArray(type, top, label, reject);
  if (type.kind === 'bitfield') {
    const { width, offset, container } = type;
    if (
      ![8, 16, 32, 64].includes(container) ||
      !Number.isSafeInteger(width) ||
      !Number.isSafeInteger(offset) ||
      width < 1 ||
      offset < 0 ||
      width + offset > container
    ) {
      // The type promises a valid container, but definitions built by hand may hold any number.
      const fitting = [8, 16, 32, 64].includes(container) ? container : 32;
      const element = renderType({ kind: 'bitfield', width, offset, container });
      reject(
        'BAD_BITFIELD',
        `Bitfield '${cutInput(element)}' of ${label} does not fit: ` +
          'it needs 1 <= width and width + offset <= container (8, 16, 32 or 64).',
        `e.g. b${Math.max(1, Math.min(width, fitting))}@0/${fitting}`,
      );
    }
    return;
  }
  const name = type.name;
  if (ctx.kind === 'uprobe' && ['symbol', 'symstr', '%pd', '%pD'].includes(name)) {
    reject(
      'TYPE_NOT_ON_UPROBE',
      `Type '${cutInput(name)}' of ${label} reads kernel data, which uprobes cannot.`,
      name === 'symbol' || name === 'symstr'
        ? 'use x64 and resolve the address yourself'
        : 'read the path with a string dereference instead',
    );
  }
  if (name === 'string' || name === 'ustring') {
    if (!isMemoryFetch(top) && top.op !== 'imm') {
      reject(
        'BAD_STRING',
        `Type ${name} of ${label} needs a memory address, but '${cutInput(shown)}' is a value.`,
        `dereference it: ${cutInput(arg.name)}=+0(${cutInput(shown)}):${name}`,
      );
    }
  } else if (name === 'symstr') {
    const ok =
      top.op === 'reg' ||
      top.op === 'stackN' ||
      top.op === 'retval' ||
      (top.op === 'arg' && !ctx.isReturn) ||
      (isMemoryFetch(top) && !(top.op === 'deref' && top.user));
    if (!ok) {
      reject(
        'BAD_SYMSTRING',
        `Type symstr of ${label} cannot be used with '${cutInput(shown)}'.`,
        'symstr takes a register, $stackN, $retval, $argN (at entry) or a kernel memory read',
      );
    }
  }
}

function checkArray(type: ArgType, top: FetchNode, label: string, reject: Reject): void {
  const length = type.arrayLength ?? 0;
  if (!Number.isSafeInteger(length) || length < 1) {
    reject(
      'BAD_ARRAY_NUM',
      `Array length ${length} of ${label} is invalid.`,
      `use a length from 1 to ${LIMITS.maxArrayLength}`,
    );
  }
  if (length > LIMITS.maxArrayLength) {
    reject(
      'ARRAY_TOO_BIG',
      `Array length ${length} of ${label} is too big; the kernel allows ${LIMITS.maxArrayLength} (MAX_ARRAY_LEN).`,
      `use at most ${LIMITS.maxArrayLength} elements, or several arguments at different offsets`,
    );
  }
  const name = type.kind === 'basic' ? type.name : 'bitfield';
  if (name === 'symstr' || name === '%pd' || name === '%pD') {
    reject('BAD_ARRAY', `Type ${name} of ${label} cannot be an array.`, `drop the [${length}]`);
  }
  const shown = renderFetch(top);
  if (!isMemoryFetch(top)) {
    reject(
      'BAD_ARRAY',
      `Array type of ${label} needs a memory address, but '${cutInput(shown)}' is a value.`,
      `read the array from memory, e.g. +0(${cutInput(shown)}):${renderType(type)}`,
    );
  }
  if (top.op === 'deref' && top.user && name !== 'string' && name !== 'ustring') {
    reject(
      'BAD_ARRAY',
      `${label} reads a numeric array through a user-space dereference (+u), which the kernel does not support.`,
      'read the elements as separate arguments, or use a uprobe (whose plain dereferences read user memory)',
    );
  }
}
