/**
 * Checks the TYPE of one argument against its fetch, as parse_probe_arg_type() and
 * finalize_fetch_insn() do: `$comm` and immediate strings are strings only; string types need a
 * memory address to read from, and `symstr` a kernel value; bitfields must fit their container;
 * arrays have a length limit, no `symstr` or dentry-name elements, and are read from memory; types
 * that read kernel data are refused on uprobes.
 */
import { LIMITS, type ArgType, type BasicTypeName, type FetchNode, type ProbeArg } from './definition.js';
import { renderFetch, renderType } from './render.js';
import type { ArgContext, RejectArg } from './validate-arg.js';
import { isMemoryFetch } from './validate-arg-fetch.js';
import { cutInput } from '../errors.js';

type BitfieldType = Extract<ArgType, { kind: 'bitfield' }>;

/** Checks `arg.type` (or its absence) against `arg.fetch` and the probe; `label` names the argument. */
export function checkType(arg: ProbeArg, ctx: ArgContext, label: string, reject: RejectArg): void {
  const top = arg.fetch;
  const type = arg.type;
  const shown = renderFetch(top);
  if (top.op === 'comm' || top.op === 'immString') {
    checkStringValueType(top.op, type, label, reject);
    return;
  }
  if (type === undefined) return;
  if (type.arrayLength !== undefined) checkArray(type, top, shown, label, reject);
  if (type.kind === 'bitfield') {
    checkBitfield(type, label, reject);
    return;
  }
  checkKernelDataType(type.name, ctx, label, reject);
  if (type.name === 'string' || type.name === 'ustring') {
    checkStringSource(type.name, top, shown, arg.name, label, reject);
  } else if (type.name === 'symstr') {
    checkSymstrSource(top, shown, ctx, label, reject);
  }
}

// $comm and immediate strings are strings already: at most the type that says so.
function checkStringValueType(
  op: 'comm' | 'immString',
  type: ArgType | undefined,
  label: string,
  reject: RejectArg,
): void {
  if (type !== undefined && (type.kind !== 'basic' || type.name !== 'string' || type.arrayLength !== undefined)) {
    reject(
      'NEED_STRING_TYPE',
      `${label} is ${op === 'comm' ? '$comm' : 'an immediate string'}, ` +
        `which can only have type string, not '${renderType(type)}'.`,
      'drop the type or write :string',
    );
  }
}

function checkBitfield(type: BitfieldType, label: string, reject: RejectArg): void {
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
}

// Symbol lookups and dentry names read kernel memory, which a uprobe's fetch cannot reach.
function checkKernelDataType(name: BasicTypeName, ctx: ArgContext, label: string, reject: RejectArg): void {
  if (ctx.kind === 'uprobe' && ['symbol', 'symstr', '%pd', '%pD'].includes(name)) {
    reject(
      'TYPE_NOT_ON_UPROBE',
      `Type '${cutInput(name)}' of ${label} reads kernel data, which uprobes cannot.`,
      name === 'symbol' || name === 'symstr'
        ? 'use x64 and resolve the address yourself'
        : 'read the path with a string dereference instead',
    );
  }
}

// string and ustring read the text at an address: the fetch must load from memory (or be an
// immediate address).
function checkStringSource(
  name: 'string' | 'ustring',
  top: FetchNode,
  shown: string,
  argName: string,
  label: string,
  reject: RejectArg,
): void {
  if (!isMemoryFetch(top) && top.op !== 'imm') {
    reject(
      'BAD_STRING',
      `Type ${name} of ${label} needs a memory address, but '${cutInput(shown)}' is a value.`,
      `dereference it: ${cutInput(argName)}=+0(${cutInput(shown)}):${name}`,
    );
  }
}

// symstr looks the value up as a kernel address: a register, stack or return value, an entry
// $argN, or a kernel (not +u user) memory read.
function checkSymstrSource(top: FetchNode, shown: string, ctx: ArgContext, label: string, reject: RejectArg): void {
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

function checkArray(type: ArgType, top: FetchNode, shown: string, label: string, reject: RejectArg): void {
  const length = type.arrayLength ?? 0;
  checkArrayLength(length, label, reject);
  const name = type.kind === 'basic' ? type.name : 'bitfield';
  if (name === 'symstr' || name === '%pd' || name === '%pD') {
    reject('BAD_ARRAY', `Type ${name} of ${label} cannot be an array.`, `drop the [${length}]`);
  }
  checkArraySource(type, top, shown, label, reject);
}

function checkArrayLength(length: number, label: string, reject: RejectArg): void {
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
}

// An array is read from consecutive memory, so its fetch must end in a memory load; the kernel's
// array loop takes numbers from kernel memory only (+u reaches user memory for strings alone).
function checkArraySource(type: ArgType, top: FetchNode, shown: string, label: string, reject: RejectArg): void {
  if (!isMemoryFetch(top)) {
    reject(
      'BAD_ARRAY',
      `Array type of ${label} needs a memory address, but '${cutInput(shown)}' is a value.`,
      `read the array from memory, e.g. +0(${cutInput(shown)}):${renderType(type)}`,
    );
  }
  const isString = type.kind === 'basic' && (type.name === 'string' || type.name === 'ustring');
  if (top.op === 'deref' && top.user && !isString) {
    reject(
      'BAD_ARRAY',
      `${label} reads a numeric array through a user-space dereference (+u), which the kernel does not support.`,
      'read the elements as separate arguments, or use a uprobe (whose plain dereferences read user memory)',
    );
  }
}
