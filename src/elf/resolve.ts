/**
 * Turn `PATH:SYMBOL[+OFFS]` into the `PATH:OFFSET` a uprobe needs.
 *
 * The kernel wants the *file offset* of the instruction to patch. Like perf,
 * we take the symbol's value (its link-time virtual address) from .symtab, or
 * from .dynsym when the symbol is not in .symtab or the file has none, find
 * the PT_LOAD segment that contains it and compute
 * `vaddr - p_vaddr + p_offset`.
 *
 * Policy decisions (documented here because callers see their effects):
 * - Only defined STT_FUNC symbols are accepted. STT_GNU_IFUNC symbols are
 *   refused by default: their address is the *resolver* the dynamic linker
 *   runs once per process to choose an implementation (memcpy, strlen…), so a
 *   probe there almost never fires when the user expects. `allowIfunc`
 *   overrides this for the rare case where the resolver is the target.
 * - A name defined at several different addresses (static functions in two
 *   source files, or two symbol versions) is an error listing all of them;
 *   we never guess. Aliases at one address are a single target.
 * - `name@VER` / `name@@VER` select a symbol version (.gnu.version_d).
 */
import { SHN_UNDEF, STB_GLOBAL, STB_WEAK, STT_FUNC, STT_GNU_IFUNC } from './constants.js';
import type { ElfFile } from './elf-file.js';
import { ElfError } from './errors.js';
import { checkExecutableOffset, checkFileType } from './file-offset.js';
import { loadElfFile } from './loader.js';
import {
  addressNotMapped,
  ambiguousSymbol,
  ifuncSymbol,
  notAFunction,
  offsetLeavesSegment,
  offsetOutsideFunction,
  symbolNotFound,
  undefinedHere,
} from './resolve-errors.js';
import { splitVersionedName, versionedName, type ElfSymbol } from './symbols.js';
import { cutInput } from '../errors.js';
import { hex } from '../hex.js';

/** Where a uprobe must be placed, and what was found there. */
export interface UprobeTarget {
  /** File offset of the probed instruction: what goes after `PATH:` in uprobe_events. */
  readonly offset: number;
  /** The symbol that was resolved, with its version when it has one (`malloc@@GLIBC_2.2.5`). */
  readonly symbol: string;
  /** The symbol's size in bytes (0 when the file does not record it). */
  readonly size: number;
  /** Link-time virtual address of the probed instruction (symbol value + offset). */
  readonly address: bigint;
  /** The `+OFFS` that was applied within the symbol. */
  readonly offsetInSymbol: number;
  /** The table the symbol came from. */
  readonly table: 'symtab' | 'dynsym';
}

/** Options for {@link resolveUprobeOffset}. */
export interface ResolveOptions {
  /** Accept an STT_GNU_IFUNC symbol and probe its resolver. Default false. */
  readonly allowIfunc?: boolean | undefined;
  /** Use the process-wide cache of parsed files. Default true. */
  readonly cache?: boolean | undefined;
}

/**
 * Resolve `symbol` (optionally `symbol+OFFS`, and optionally versioned as
 * `name@VER` / `name@@VER`) in the ELF file at `path` to a uprobe file offset.
 * `offset` is a byte offset inside the function; it may instead be written in
 * `symbol` as `+OFFS` (decimal or 0x-hex), but not both. The result always lies in an
 * executable segment of the file.
 *
 * @throws ElfError with a `code` saying what went wrong and a message saying
 *         what to do about it.
 */
export function resolveUprobeOffset(
  path: string,
  symbol: string,
  offset?: number,
  options: ResolveOptions = {},
): UprobeTarget {
  const spec = normalizeSpec(symbol, offset);
  if (typeof path !== 'string' || path === '') {
    throw new ElfError('INVALID_ARGUMENT', `No file given for symbol "${cutInput(spec.symbol)}".`, {
      hint: 'pass the path of the executable or shared library that defines it, e.g. /usr/bin/bash',
    });
  }
  const elf = loadElfFile(path, { cache: options.cache });
  return resolveInElf(elf, spec.symbol, spec.offset, options);
}

/**
 * Split `SYMBOL[+OFFS]` into its parts. `+` never occurs in ELF symbol names
 * produced by C, C++ (mangled) or Rust compilers, so the split is unambiguous.
 */
export function parseSymbolSpec(spec: string): { symbol: string; offset: number | undefined } {
  const plus = spec.indexOf('+');
  if (plus < 0) return { symbol: spec, offset: undefined };
  const text = spec.slice(plus + 1).trim();
  const symbol = spec.slice(0, plus);
  if (!/^(0x[0-9a-f]+|[0-9]+)$/i.test(text)) {
    throw new ElfError('INVALID_ARGUMENT', `Invalid offset "+${cutInput(text)}" in "${cutInput(spec)}".`, {
      symbol: spec,
      hint: `write SYMBOL+OFFS with OFFS in decimal or 0x-hex, e.g. ${cutInput(symbol) || 'main'}+0x10`,
    });
  }
  return { symbol, offset: Number(text) };
}

/**
 * The resolution itself, on an already-open file (in-memory buffers, tests).
 * Same contract as {@link resolveUprobeOffset}.
 */
export function resolveInElf(elf: ElfFile, symbol: string, offset = 0, options: ResolveOptions = {}): UprobeTarget {
  const spec = normalizeSpec(symbol, offset);
  checkFileType(elf);
  const aliases = findFunction(elf, spec.symbol);
  const sym = pickRepresentative(aliases);
  if (sym.type === STT_GNU_IFUNC && !options.allowIfunc) throw ifuncSymbol(elf, sym);
  const size = functionSize(aliases);
  return {
    offset: Number(probeFileOffset(elf, sym, size, spec)),
    symbol: versionedName(sym),
    size,
    address: sym.value + BigInt(spec.offset),
    offsetInSymbol: spec.offset,
    table: sym.table,
  };
}

/**
 * The code symbols `symbol` (`name`, `name@VER` or `name@@VER`) names, all at one address: aliases
 * of one function. Throws when it names no function, or functions at several addresses.
 */
function findFunction(elf: ElfFile, symbol: string): ElfSymbol[] {
  const byAddress = new Map<bigint, ElfSymbol[]>();
  for (const s of codeSymbols(elf, symbol)) {
    const list = byAddress.get(s.value);
    if (list) list.push(s);
    else byAddress.set(s.value, [s]);
  }
  const functions = [...byAddress.values()];
  if (functions.length > 1) throw ambiguousSymbol(elf, symbol, functions.map(pickRepresentative));
  return functions[0]!;
}

/** The functions (and IFUNCs) named `symbol`, at least one; throws saying why there is none. */
function codeSymbols(elf: ElfFile, symbol: string): ElfSymbol[] {
  const query = splitVersionedName(symbol);
  const named = [
    ...(elf.symbolTable('symtab')?.lookup(query.name) ?? []),
    ...(elf.symbolTable('dynsym')?.lookup(query.name) ?? []),
  ];
  const matching = named.filter((s) => matchesVersion(s, query));
  const defined = matching.filter((s) => s.shndx !== SHN_UNDEF);
  const allCode = defined.filter((s) => s.type === STT_FUNC || s.type === STT_GNU_IFUNC);
  // Prefer .symtab (it is a superset and has sizes for local functions); use
  // .dynsym only for what .symtab lacks, as perf does. Mixing both would
  // report every exported function twice.
  const symtabCode = allCode.filter((s) => s.table === 'symtab');
  if (symtabCode.length > 0) return symtabCode;
  if (allCode.length > 0) return allCode;
  const data = defined[0];
  if (data) throw notAFunction(elf, symbol, data);
  const imported = matching.filter((s) => s.shndx === SHN_UNDEF);
  if (imported.length > 0) throw undefinedHere(elf, symbol, imported);
  throw symbolNotFound(elf, symbol, query, named);
}

/** The function's size in bytes, 0 when unknown. Aliases may disagree on whether it is known: any known size counts. */
function functionSize(aliases: readonly ElfSymbol[]): number {
  const size = aliases.reduce((max, s) => (s.size > max ? s.size : max), 0n);
  return size > BigInt(Number.MAX_SAFE_INTEGER) ? 0 : Number(size);
}

/**
 * The file offset of `sym` + `spec.offset`: inside the function (when its `size` is known), in the
 * same file-backed range as the function, and in an executable segment.
 */
function probeFileOffset(
  elf: ElfFile,
  sym: ElfSymbol,
  size: number,
  spec: { readonly symbol: string; readonly offset: number },
): bigint {
  const mapping = elf.addressToFileOffset(sym.value, sym.shndx);
  if (!mapping) throw addressNotMapped(elf, spec.symbol, sym);
  const offs = spec.offset;
  if (size > 0 && offs >= size) throw offsetOutsideFunction(elf, spec.symbol, sym, offs, size);
  // Without a size, at least keep the probe inside the same file-backed range.
  const probeMapping = offs === 0 ? mapping : elf.addressToFileOffset(sym.value + BigInt(offs), sym.shndx);
  if (probeMapping?.offset !== mapping.offset + BigInt(offs)) throw offsetLeavesSegment(elf, spec.symbol, sym, offs);
  checkExecutableOffset(elf, probeMapping.offset, `${versionedName(sym)}${offs === 0 ? '' : `+${hex(offs)}`}`);
  return probeMapping.offset;
}

/** Validate arguments and fold an inline `+OFFS` into the offset. */
function normalizeSpec(symbol: string, offset: number | undefined): { symbol: string; offset: number } {
  if (typeof symbol !== 'string' || symbol.trim() === '') {
    throw new ElfError('INVALID_ARGUMENT', 'No symbol given.', {
      hint: 'pass a function name such as "main" or "malloc"',
    });
  }
  const parsed = parseSymbolSpec(symbol.trim());
  if (parsed.offset !== undefined && offset !== undefined && offset !== 0) {
    throw new ElfError('INVALID_ARGUMENT', `Offset given twice ("${cutInput(symbol)}" and ${offset}).`, {
      symbol,
      hint: 'give it either in the symbol (+OFFS) or as an argument',
    });
  }
  const offs = parsed.offset ?? offset ?? 0;
  if (!Number.isSafeInteger(offs) || offs < 0) {
    throw new ElfError('INVALID_ARGUMENT', `Invalid offset ${String(offs)} for "${cutInput(parsed.symbol)}".`, {
      symbol,
      hint: 'the offset must be a non-negative integer number of bytes',
    });
  }
  if (parsed.symbol === '' || /[\s:]/.test(parsed.symbol)) {
    throw new ElfError('INVALID_ARGUMENT', `Invalid symbol name ${JSON.stringify(cutInput(parsed.symbol))}.`, {
      symbol,
      hint: 'give a bare function name (e.g. "malloc" or "malloc@@GLIBC_2.2.5") without the path or spaces',
    });
  }
  return { symbol: parsed.symbol, offset: offs };
}

/** `name@@VER` matches only the default version; `name@VER` matches that version; bare names match any. */
function matchesVersion(s: ElfSymbol, q: { version: string | undefined; hidden: boolean }): boolean {
  if (q.version === undefined) return true;
  if (s.version !== q.version) return false;
  return q.hidden || !s.versionHidden;
}

/** Among aliases at one address, the name a person would expect to see. */
function pickRepresentative(list: readonly ElfSymbol[]): ElfSymbol {
  const rank = (s: ElfSymbol): number =>
    (s.type === STT_FUNC ? 0 : 4) +
    (s.bind === STB_GLOBAL ? 0 : s.bind === STB_WEAK ? 1 : 2) +
    (s.versionHidden ? 0.5 : 0);
  return [...list].sort((a, b) => rank(a) - rank(b))[0]!;
}
