/**
 * Checks the location of a definition against the kernel's rules, one function per location form:
 * kernel symbols (kprobes and fprobes), kernel addresses, uprobe files and offsets, tracepoints.
 * A uprobe path or library name is written as one token of the line, so it must not hold anything
 * that would split the token or the line.
 */
import { LIMITS, type AnyProbeDefinition, type ProbeLocation } from './definition.js';
import { fail } from './errors.js';
import { describeCharacter } from './line-characters.js';
import { U64_MAX } from './numbers.js';
import { KERNEL_SYMBOL } from './validate-arg-fetch.js';
import { cutInput } from '../errors.js';

/** ELF symbol names as perf-bridge's resolver takes them (`name`, `name@VER`, `name@@VER`, C++/Rust mangled). */
export const USER_SYMBOL = /^[A-Za-z_.$][A-Za-z0-9_.$@]*$/;
const MODULE_NAME = /^[A-Za-z0-9_-]+$/;
const TRACEPOINT_NAME = /^[A-Za-z0-9_]+$/;
/** A library name as a uprobe target: what a file name can be, except `.` and `..`. */
const LIBRARY_NAME = /^[A-Za-z0-9_+.-]+$/;

type KernelSymbolLocation = Extract<ProbeLocation, { type: 'ksym' | 'function' }>;
type UprobeLocation = Extract<ProbeLocation, { type: 'uoffset' | 'usym' }>;

/** Checks `def.location` for its form; a return probe's kernel symbol must have no offset. */
export function checkLocation(def: AnyProbeDefinition): void {
  const loc = def.location;
  switch (loc.type) {
    case 'ksym':
      checkKernelSymbol(loc);
      checkSymbolOffset(loc, def.isReturn);
      return;
    case 'function':
      checkKernelSymbol(loc);
      return;
    case 'kaddr':
      checkKernelAddress(loc.address);
      return;
    case 'uoffset':
    case 'usym':
      checkUprobeLocation(loc);
      return;
    case 'tracepoint':
      checkTracepointName(loc.name);
      return;
  }
}

function checkKernelSymbol(loc: KernelSymbolLocation): void {
  const where = { part: 'location' } as const;
  if (loc.module !== undefined && !MODULE_NAME.test(loc.module)) {
    fail(
      'BAD_MODULE',
      `'${cutInput(loc.module)}' is not a module name.`,
      'module names contain letters, digits, _ and -',
      where,
    );
  }
  if (!KERNEL_SYMBOL.test(loc.symbol)) {
    fail('BAD_SYMBOL', `'${cutInput(loc.symbol)}' is not a kernel symbol name.`, badKernelSymbolHint(loc), where);
  }
}

// What the user most likely meant by a symbol the kernel would refuse.
function badKernelSymbolHint(loc: KernelSymbolLocation): string {
  // 'true:0x2000' is read as MODULE:SYMBOL: a uprobe path needs a '/'.
  const uprobeMeant = loc.module !== undefined && /^[0-9]/.test(loc.symbol);
  const uprobePath = `./${cutInput(loc.module ?? '')}:${cutInput(loc.symbol)}`;
  return uprobeMeant
    ? `for a uprobe, give the file's path with a '/': ${uprobePath}, or better /full/path:OFFSET`
    : /[+-]/.test(loc.symbol)
      ? 'give the offset separately (the offset option of kprobe(), or SYMBOL+OFFSET in text); ' +
        'fprobes take no offset'
      : 'kernel symbols contain letters, digits, _ and . and do not start with a digit ' +
        '(write an address as 0x...)';
}

function checkSymbolOffset(loc: Extract<ProbeLocation, { type: 'ksym' }>, isReturn: boolean): void {
  const where = { part: 'location' } as const;
  if (!Number.isSafeInteger(loc.offset) || loc.offset < 0 || loc.offset > LIMITS.maxSymbolOffset) {
    fail(
      'BAD_PROBE_ADDR',
      `Offset ${loc.offset} after '${cutInput(loc.symbol)}' is out of range.`,
      'use 0 to 4294967295 bytes',
      where,
    );
  }
  if (isReturn && loc.offset !== 0) {
    fail(
      'BAD_RETPROBE',
      `A return probe must be at a function entry, not at ${cutInput(loc.symbol)}+${loc.offset}.`,
      `probe ${cutInput(loc.symbol)} (offset 0), or use an entry probe at ${cutInput(loc.symbol)}+${loc.offset}`,
      where,
    );
  }
}

function checkKernelAddress(address: bigint): void {
  const where = { part: 'location' } as const;
  if (address <= 0n || address > U64_MAX) {
    fail(
      'BAD_PROBE_ADDR',
      `0x${address.toString(16)} is not a kernel address.`,
      'use a non-zero 64-bit address',
      where,
    );
  }
}

function checkUprobeLocation(loc: UprobeLocation): void {
  const where = { part: 'location' } as const;
  checkPath(loc.path);
  if (!Number.isSafeInteger(loc.offset) || loc.offset < 0) {
    fail(
      'BAD_UPROBE_OFFS',
      `Uprobe offset ${loc.offset} is not a file offset.`,
      'use a non-negative whole number',
      where,
    );
  }
  if (loc.type === 'usym' && !USER_SYMBOL.test(loc.symbol)) {
    fail(
      'BAD_SYMBOL',
      `'${cutInput(loc.symbol)}' is not a symbol name.`,
      'write PATH:SYMBOL[+OFFSET] with an ELF symbol name (name, name@VERSION), or PATH:OFFSET',
      where,
    );
  }
  if (loc.refCtrOffset !== undefined && (!Number.isSafeInteger(loc.refCtrOffset) || loc.refCtrOffset < 1)) {
    fail(
      'BAD_REFCNT',
      `Reference counter offset ${loc.refCtrOffset} is not valid.`,
      'use the positive file offset of the SDT semaphore, or leave it out (the kernel treats 0 as none)',
      where,
    );
  }
}

function checkPath(path: string): void {
  const where = { part: 'location' } as const;
  if (path.length === 0) {
    fail('BAD_PATH', 'The uprobe path is empty.', 'give the path of the executable or library', where);
  }
  checkToken(path, 'uprobe path', 'BAD_PATH');
  // Without a '/', the target is a library name, resolved to a file before anything is printed.
  if (!path.includes('/') && (!LIBRARY_NAME.test(path) || path === '.' || path === '..')) {
    fail(
      'BAD_PATH',
      `Uprobe target '${cutInput(path)}' is neither a path (it has no '/') nor a library name.`,
      `write ./${cutInput(path)} for a file in the current directory, an absolute path, or a library name like libc`,
      where,
    );
  }
  if (path.endsWith('/')) {
    fail('BAD_PATH', `Uprobe path '${cutInput(path)}' names a directory.`, 'give the path of a regular file', where);
  }
}

// A value written as part of one token must not split the token or the line.
function checkToken(value: string, what: string, code: 'BAD_PATH'): void {
  const where = { part: 'location' } as const;
  // What isControlCharacter() refuses: \p{Cc} (C0, DEL, C1), and U+2028/U+2029, which \s covers.
  const c = /[\s#\p{Cc}]/u.exec(value)?.[0];
  if (c === undefined) return;
  const why =
    c === ' '
      ? 'a space would split it into two tokens'
      : c === '#'
        ? "'#' starts a comment in the kernel's parser"
        : `${describeCharacter(c)} is a control character; it could end the line and start another command`;
  fail(
    code,
    `The ${what} '${cutInput(JSON.stringify(value).slice(1, -1))}' contains ${describeCharacter(c)}: ${why}.`,
    'use a path without spaces, control characters or # (e.g. through a symlink)',
    where,
  );
}

function checkTracepointName(name: string): void {
  const where = { part: 'location' } as const;
  if (!TRACEPOINT_NAME.test(name)) {
    fail(
      'BAD_TP_NAME',
      `'${cutInput(name)}' is not a tracepoint name.`,
      'tracepoint names contain letters, digits and _ only (e.g. sched_switch)',
      where,
    );
  }
}
