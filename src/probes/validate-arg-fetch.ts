/**
 * Checks the FETCHARG of one argument node by node, as traceprobe_parse_probe_arg() does: what each
 * fetch form needs from the probe (registers, `$argN`, `$retval`, `@SYMBOL` and `@+OFFSET` each work
 * on some probe kinds or places only), the ranges of stack indexes, addresses, offsets and
 * immediates, and what may stand under a dereference (`$comm` and immediate strings are not
 * addresses).
 */
import { LIMITS, type FetchNode } from './definition.js';
import { S64_MAX, S64_MIN, U64_MAX } from './numbers.js';
import { isX86Register, registerHint, X86_64_ARGUMENT_REGISTERS } from './registers.js';
import type { ArgContext, RejectArg } from './validate-arg.js';
import { cutInput } from '../errors.js';

/** Kernel symbol names (kallsyms): letters, digits, `_` and `.` (as in `foo.isra.0`). */
export const KERNEL_SYMBOL = /^[A-Za-z_.][A-Za-z0-9_.$]*$/;

/** True for fetches that end in a memory load (DEREF/UDEREF), which string and array types need. */
export function isMemoryFetch(node: FetchNode): boolean {
  return node.op === 'deref' || node.op === 'memAddr' || node.op === 'memSymbol' || node.op === 'fileOffset';
}

/** Checks every node of `fetch`, the top one first; `label` names the argument in messages. */
export function checkFetch(fetch: FetchNode, ctx: ArgContext, label: string, reject: RejectArg): void {
  checkFetchNode(fetch, ctx, false, label, reject);
}

// One node, then the tree under it; `underDeref` says a dereference reads from this node's value.
// Recursion stays in this one function so a deep tree takes one stack frame per level.
function checkFetchNode(node: FetchNode, ctx: ArgContext, underDeref: boolean, label: string, reject: RejectArg): void {
  switch (node.op) {
    case 'reg':
      checkRegister(node.name, ctx, label, reject);
      return;
    case 'stack':
      return;
    case 'comm':
      if (underDeref) rejectStringDeref('comm', label, reject);
      return;
    case 'immString':
      if (underDeref) rejectStringDeref('immString', label, reject);
      checkImmString(node.value, label, reject);
      return;
    case 'stackN':
      checkStackIndex(node.index, ctx, label, reject);
      return;
    case 'retval':
      checkRetval(ctx, label, reject);
      return;
    case 'arg':
      checkArgIndex(node.index, label, reject);
      checkArgPlacement(node.index, ctx, label, reject);
      return;
    case 'memAddr':
      checkMemoryAddress(node.address, label, reject);
      return;
    case 'memSymbol':
      checkMemorySymbol(node, ctx, label, reject);
      return;
    case 'fileOffset':
      checkFileOffset(node.offset, ctx, label, reject);
      return;
    case 'imm':
      checkImmediate(node.value, label, reject);
      return;
    case 'deref':
      checkDerefOffset(node.offset, label, reject);
      checkFetchNode(node.target, ctx, true, label, reject);
      return;
  }
}

function isKernelSide(ctx: ArgContext): boolean {
  return ctx.kind !== 'uprobe';
}

function checkRegister(name: string, ctx: ArgContext, label: string, reject: RejectArg): void {
  if (ctx.kind === 'fprobe' || ctx.kind === 'tprobe') {
    reject(
      'REG_ON_FPROBE',
      `${label} reads register %${name}, but ${ctx.kind}s cannot read registers.`,
      'use $argN for function arguments, or a kprobe if you need registers',
    );
  }
  if (!isX86Register(name)) {
    reject('BAD_REG_NAME', `Unknown register '%${name}' in ${label}.`, registerHint(name));
  }
}

// $comm and immediate strings are stored as strings; there is no address to read through.
function rejectStringDeref(op: 'comm' | 'immString', label: string, reject: RejectArg): never {
  return op === 'comm'
    ? reject(
        'COMM_CANT_DEREF',
        `${label} dereferences $comm, which is a string, not an address.`,
        'use $comm on its own',
      )
    : reject('COMM_CANT_DEREF', `${label} dereferences an immediate string.`, 'use the string on its own');
}

function checkStackIndex(index: number, ctx: ArgContext, label: string, reject: RejectArg): void {
  const max = isKernelSide(ctx) ? LIMITS.maxStackIndex : 0xffffffff;
  if (!Number.isSafeInteger(index) || index < 0 || index > max) {
    reject(
      'BAD_STACK_NUM',
      `$stack${index} in ${label} is out of range.`,
      `use $stackN with 0 <= N <= ${max}` +
        (isKernelSide(ctx) ? ' (the kernel stack holds THREAD_SIZE / 8 words)' : ''),
    );
  }
}

function checkRetval(ctx: ArgContext, label: string, reject: RejectArg): void {
  if (!ctx.isReturn) {
    reject(
      'RETVAL_ON_PROBE',
      `${label} reads $retval, but this is not a return probe.`,
      'use a return probe (r..., SYMBOL%return, kretprobe(), uretprobe() or an fprobe exit)',
    );
  }
}

function checkArgIndex(index: number, label: string, reject: RejectArg): void {
  if (!Number.isSafeInteger(index) || index < 1 || index > LIMITS.maxStackIndex) {
    reject(
      'BAD_ARG_NUM',
      `$arg${index} in ${label} is out of range.`,
      `arguments are numbered from 1 ($arg1) to ${LIMITS.maxStackIndex}`,
    );
  }
}

// The kernel takes $argN only where it knows a kernel function starts: at SYMBOL or SYMBOL+0 of a
// kernel probe (or at its return), never in a uprobe or at a bare address.
function checkArgPlacement(index: number, ctx: ArgContext, label: string, reject: RejectArg): void {
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

function checkMemoryAddress(address: bigint, label: string, reject: RejectArg): void {
  if (address < 0n || address > U64_MAX) {
    reject(
      'BAD_MEM_ADDR',
      `@${address} in ${label} is not a 64-bit address.`,
      'use an address from 0 to 0xffffffffffffffff',
    );
  }
}

function checkMemorySymbol(
  node: Extract<FetchNode, { op: 'memSymbol' }>,
  ctx: ArgContext,
  label: string,
  reject: RejectArg,
): void {
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
}

function checkFileOffset(offset: number, ctx: ArgContext, label: string, reject: RejectArg): void {
  if (ctx.kind !== 'uprobe') {
    reject(
      'FILE_ON_KPROBE',
      `${label} reads @+${offset}, a file offset, which only uprobes have.`,
      'use @SYMBOL or @ADDR in kernel probes',
    );
  }
  if (!Number.isSafeInteger(offset) || offset < 0) {
    reject('BAD_FILE_OFFS', `@+${offset} in ${label} is not a file offset.`, 'use a non-negative whole number');
  }
}

function checkImmediate(value: bigint, label: string, reject: RejectArg): void {
  if (value < S64_MIN || value > U64_MAX) {
    reject('BAD_IMM', `Immediate ${value} in ${label} does not fit in 64 bits.`, 'use a value from -2^63 to 2^64-1');
  }
}

function checkImmString(value: string, label: string, reject: RejectArg): void {
  // \p{Cc}: the C0 and C1 control characters and DEL (checkDefinitionText refuses them all).
  const bad = /[\s:#"\p{Cc}]/u.exec(value)?.[0];
  if (bad !== undefined) {
    reject(
      'BAD_IMM_STRING',
      `Immediate string "${value}" in ${label} contains ${JSON.stringify(bad)}: ${whyNotInImmString(bad)}.`,
      'use a string without spaces, ":", "#" or quotes',
    );
  }
}

// What the kernel (or the printed line) would do with `c` inside an immediate string.
function whyNotInImmString(c: string): string {
  return /\s/.test(c)
    ? 'the kernel splits the line at whitespace'
    : c === ':'
      ? "the kernel splits an argument at its first ':' (the type)"
      : c === '#'
        ? "'#' starts a comment in the kernel's parser"
        : c === '"'
          ? 'it would end the string early when printed'
          : 'control characters are not allowed';
}

function checkDerefOffset(offset: number, label: string, reject: RejectArg): void {
  if (!Number.isSafeInteger(offset) || BigInt(offset) < S64_MIN || BigInt(offset) > S64_MAX) {
    reject(
      'BAD_DEREF_OFFS',
      `Dereference offset ${offset} in ${label} is not an integer.`,
      'use a whole number of bytes',
    );
  }
}
