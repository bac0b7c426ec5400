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
import { SHN_UNDEF, STB_GLOBAL, STB_WEAK, STT_FUNC, STT_GNU_IFUNC, STT_NOTYPE, STT_OBJECT, STT_TLS, ET_CORE, ET_DYN, ET_EXEC, ET_REL, symbolBindName, symbolTypeName } from './constants.js';
import type { ElfFile } from './elf-file.js';
import { corrupt, ElfError, hex } from './errors.js';
import { loadElfFile } from './loader.js';
import { suggestNames } from './suggest.js';
import { splitVersionedName, versionedName, type ElfSymbol } from './symbols.js';

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
  readonly allowIfunc?: boolean;
  /** Use the process-wide cache of parsed files. Default true. */
  readonly cache?: boolean;
}

/**
 * Resolve `symbol` (optionally `symbol+OFFS`, and optionally versioned as
 * `name@VER` / `name@@VER`) in the ELF file at `path` to a uprobe file offset.
 * `offset` is a byte offset inside the function; it may instead be written in
 * `symbol` as `+OFFS` (decimal or 0x-hex), but not both.
 *
 * @throws ElfError with a `code` saying what went wrong and a message saying
 *         what to do about it.
 */
export function resolveUprobeOffset(path: string, symbol: string, offset?: number, options: ResolveOptions = {}): UprobeTarget {
  const spec = normalizeSpec(symbol, offset);
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
    throw new ElfError('INVALID_ARGUMENT', `Invalid offset "+${text}" in "${spec}": write SYMBOL+OFFS with OFFS in decimal or 0x-hex, e.g. ${symbol || 'main'}+0x10.`, { symbol: spec });
  }
  return { symbol, offset: Number(text) };
}

/**
 * The resolution itself, on an already-open file (in-memory buffers, tests).
 * Same contract as {@link resolveUprobeOffset}.
 */
export function resolveInElf(elf: ElfFile, symbol: string, offset = 0, options: ResolveOptions = {}): UprobeTarget {
  const spec = normalizeSpec(symbol, offset);
  const path = elf.path;
  checkFileType(elf);
  const query = splitVersionedName(spec.symbol);
  const symtab = elf.symbolTable('symtab');
  const dynsym = elf.symbolTable('dynsym');
  const named = [...(symtab?.lookup(query.name) ?? []), ...(dynsym?.lookup(query.name) ?? [])];
  const matching = named.filter((s) => matchesVersion(s, query));
  const defined = matching.filter((s) => s.shndx !== SHN_UNDEF);
  const allCode = defined.filter((s) => s.type === STT_FUNC || s.type === STT_GNU_IFUNC);
  // Prefer .symtab (it is a superset and has sizes for local functions); use
  // .dynsym only for what .symtab lacks, as perf does. Mixing both would
  // report every exported function twice.
  const symtabCode = allCode.filter((s) => s.table === 'symtab');
  const code = symtabCode.length > 0 ? symtabCode : allCode;

  if (code.length === 0) {
    const data = defined[0];
    if (data) throw notAFunction(elf, spec.symbol, data);
    const imported = matching.filter((s) => s.shndx === SHN_UNDEF);
    if (imported.length > 0) throw undefinedHere(elf, spec.symbol, imported);
    throw notFound(elf, spec.symbol, query, named);
  }

  const byAddress = new Map<bigint, ElfSymbol[]>();
  for (const s of code) {
    const list = byAddress.get(s.value);
    if (list) list.push(s);
    else byAddress.set(s.value, [s]);
  }
  if (byAddress.size > 1) throw ambiguous(elf, spec.symbol, [...byAddress.values()].map((l) => pickRepresentative(l)));

  const aliases = [...byAddress.values()][0]!;
  const sym = pickRepresentative(aliases);
  if (sym.type === STT_GNU_IFUNC && !options.allowIfunc) throw ifunc(elf, sym);

  const mapping = elf.addressToFileOffset(sym.value, sym.shndx);
  if (!mapping) {
    throw new ElfError(
      'ADDRESS_NOT_MAPPED',
      `${path}: ${describe(sym)} is at address ${hex(sym.value)}, which is not inside any loadable segment backed by the file, ` +
        'so it has no file offset to probe. The file may be corrupt, or the symbol may not be code.',
      { path, symbol: spec.symbol },
    );
  }
  // Aliases may disagree on whether the size is known; any known size bounds the function.
  const sizeBig = aliases.reduce((m, s) => (s.size > m ? s.size : m), 0n);
  const size = sizeBig > BigInt(Number.MAX_SAFE_INTEGER) ? 0 : Number(sizeBig);
  const offs = spec.offset;
  if (size > 0 && offs >= size) {
    throw new ElfError(
      'OFFSET_OUT_OF_RANGE',
      `${path}: offset +${hex(offs)} is outside ${versionedName(sym)}, which is ${size} (${hex(size)}) bytes long; ` +
        `use an offset from 0 to ${hex(size - 1)} (e.g. from \`objdump -d --disassemble=${sym.name} ${path}\`).`,
      { path, symbol: spec.symbol },
    );
  }
  const probeAddr = sym.value + BigInt(offs);
  // Without a size, at least keep the probe inside the same file-backed range.
  const probeMapping = offs === 0 ? mapping : elf.addressToFileOffset(probeAddr, sym.shndx);
  if (!probeMapping || probeMapping.offset !== mapping.offset + BigInt(offs)) {
    throw new ElfError(
      'OFFSET_OUT_OF_RANGE',
      `${path}: offset +${hex(offs)} from ${versionedName(sym)} leaves the segment that contains the function; use a smaller offset.`,
      { path, symbol: spec.symbol },
    );
  }
  if (probeMapping.offset >= BigInt(elf.size)) {
    throw corrupt(path, `${versionedName(sym)} maps to file offset ${hex(probeMapping.offset)}, past the end of the file (${elf.size} bytes)`);
  }
  return {
    offset: Number(probeMapping.offset),
    symbol: versionedName(sym),
    size,
    address: probeAddr,
    offsetInSymbol: offs,
    table: sym.table,
  };
}

/** Validate arguments and fold an inline `+OFFS` into the offset. */
function normalizeSpec(symbol: string, offset: number | undefined): { symbol: string; offset: number } {
  if (typeof symbol !== 'string' || symbol.trim() === '') {
    throw new ElfError('INVALID_ARGUMENT', 'No symbol given: pass a function name such as "main" or "malloc".');
  }
  const parsed = parseSymbolSpec(symbol.trim());
  if (parsed.offset !== undefined && offset !== undefined && offset !== 0) {
    throw new ElfError('INVALID_ARGUMENT', `Offset given twice ("${symbol}" and ${offset}); give it either in the symbol (+OFFS) or as an argument.`, { symbol });
  }
  const offs = parsed.offset ?? offset ?? 0;
  if (!Number.isSafeInteger(offs) || offs < 0) {
    throw new ElfError('INVALID_ARGUMENT', `Invalid offset ${String(offs)} for "${parsed.symbol}": it must be a non-negative integer number of bytes.`, { symbol });
  }
  if (parsed.symbol === '' || /[\s:]/.test(parsed.symbol)) {
    throw new ElfError('INVALID_ARGUMENT', `Invalid symbol name "${parsed.symbol}": give a bare function name (e.g. "malloc" or "malloc@@GLIBC_2.2.5") without the path or spaces.`, { symbol });
  }
  return { symbol: parsed.symbol, offset: offs };
}

/** Only linked executables and shared objects have uprobe-able file offsets. */
function checkFileType(elf: ElfFile): void {
  const t = elf.header.type;
  if (t === ET_EXEC || t === ET_DYN) return;
  const path = elf.path;
  const what = t === ET_REL
    ? 'a relocatable object file (.o); link it into an executable or shared library and probe that'
    : t === ET_CORE
      ? 'a core dump; probe the executable that produced it'
      : `of unknown type ${t}; only executables and shared libraries can be probed`;
  throw new ElfError('UNSUPPORTED_ELF', `${path} is ${what}.`, { path });
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
    (s.type === STT_FUNC ? 0 : 4) + (s.bind === STB_GLOBAL ? 0 : s.bind === STB_WEAK ? 1 : 2) + (s.versionHidden ? 0.5 : 0);
  return [...list].sort((a, b) => rank(a) - rank(b))[0]!;
}

/** One line describing a symbol for error messages. */
function describe(s: ElfSymbol, elf?: ElfFile): string {
  const off = elf?.addressToFileOffset(s.value, s.shndx);
  const parts = [
    `${versionedName(s)} (${symbolTypeName(s.type)} ${symbolBindName(s.bind)}`,
    `at ${hex(s.value)}`,
    off ? `file offset ${hex(off.offset)}` : undefined,
    `size ${s.size}`,
    `in .${s.table}${s.sourceFile ? `, from ${s.sourceFile}` : ''})`,
  ];
  return parts.filter((p) => p !== undefined).join(', ');
}

function ambiguous(elf: ElfFile, symbol: string, reps: ElfSymbol[]): ElfError {
  const path = elf.path;
  const candidates = reps.map((s) => describe(s, elf));
  const versions = new Set(reps.map((s) => s.version));
  const byVersion = versions.size === reps.length && !versions.has(undefined)
    ? `Name the version you want, e.g. ${path}:${versionedName(reps[0]!)}; or probe`
    : 'Probe';
  const firstOff = elf.addressToFileOffset(reps[0]!.value, reps[0]!.shndx);
  return new ElfError(
    'SYMBOL_AMBIGUOUS',
    `${path}: "${symbol}" is defined ${reps.length} times at different addresses:\n` +
      candidates.map((c) => `  - ${c}`).join('\n') +
      `\n${byVersion} the one you mean by file offset, e.g. ${path}:${firstOff ? hex(firstOff.offset) : '0xOFFSET'}.`,
    { path, symbol, candidates },
  );
}

function ifunc(elf: ElfFile, sym: ElfSymbol): ElfError {
  const path = elf.path;
  const base = sym.name.replace(/^_+/, '');
  // Implementations are usually local functions named after the IFUNC
  // (__memcpy_avx_unaligned for memcpy); only .symtab has locals. The resolver
  // itself shares the IFUNC's address and is left out.
  const implementations = new Set<string>();
  for (const s of elf.symbolTable('symtab')?.all() ?? []) {
    if (s.type === STT_FUNC && s.shndx !== SHN_UNDEF && s.value !== sym.value && base.length >= 3 && s.name.includes(base)) {
      implementations.add(s.name);
    }
  }
  const list = [...implementations].sort().slice(0, 8);
  const hint = list.length > 0
    ? `Probe one of its implementations instead: ${list.join(', ')}.`
    : elf.symbolTable('symtab')
      ? 'Probe the implementation function it selects instead (see `nm` for candidates).'
      : 'Its implementations are usually local symbols found only in .symtab, which this file lacks; install its debug symbols (e.g. the -dbg/-dbgsym package) to see them.';
  return new ElfError(
    'SYMBOL_IS_IFUNC',
    `${path}: ${versionedName(sym)} is a GNU indirect function (IFUNC). Its address is the resolver that runs once per process, ` +
      'at load time, to pick a CPU-specific implementation, not the code that runs on each call, so a uprobe there ' +
      `would fire at most once per process. ${hint} (Pass allowIfunc to probe the resolver anyway.)`,
    { path, symbol: versionedName(sym), suggestions: list },
  );
}

function notAFunction(elf: ElfFile, symbol: string, s: ElfSymbol): ElfError {
  const path = elf.path;
  let hint = 'Uprobes can only be placed on code: give a function name.';
  if (s.type === STT_NOTYPE) {
    const off = elf.addressToFileOffset(s.value, s.shndx);
    if (off) hint = `If it is a label inside code (assembly), probe it by file offset: ${path}:${hex(off.offset)}.`;
  }
  const kind = s.type === STT_OBJECT ? 'data (OBJECT)' : s.type === STT_TLS ? 'thread-local data (TLS)' : s.type === STT_NOTYPE ? 'untyped (NOTYPE)' : symbolTypeName(s.type);
  return new ElfError('NOT_A_FUNCTION', `${path}: ${describe(s)} is ${kind}, not a function. ${hint}`, { path, symbol });
}

function undefinedHere(elf: ElfFile, symbol: string, imported: ElfSymbol[]): ElfError {
  const path = elf.path;
  const fromVersions = [...new Set(imported.map((s) => s.versionFile).filter((f): f is string => f !== undefined))];
  const libraries = fromVersions.length > 0 ? fromVersions : [...elf.dynamic.needed];
  const where = fromVersions.length > 0
    ? `it is imported from ${fromVersions.join(', ')}`
    : libraries.length > 0
      ? `it is imported from one of the shared libraries it needs: ${libraries.join(', ')}`
      : 'it is imported from a shared library loaded at run time';
  const example = libraries[0] ? ` e.g. /full/path/to/${libraries[0]}:${imported[0]!.name}` : '';
  return new ElfError(
    'SYMBOL_UNDEFINED',
    `${path}: "${symbol}" is not defined in this file; ${where}. Probe the library that defines it instead,${example} ` +
      `(\`ldd ${path}\` shows the full paths).`,
    { path, symbol, libraries },
  );
}

function notFound(elf: ElfFile, symbol: string, query: { name: string; version: string | undefined }, named: ElfSymbol[]): ElfError {
  const path = elf.path;
  if (query.version !== undefined && named.some((s) => s.shndx !== SHN_UNDEF)) {
    const available = [...new Set(named.filter((s) => s.shndx !== SHN_UNDEF).map((s) => versionedName(s)))];
    return new ElfError(
      'SYMBOL_NOT_FOUND',
      `${path}: "${query.name}" exists but not with version ${query.version}; available: ${available.join(', ')}.`,
      { path, symbol, suggestions: available },
    );
  }
  const symtab = elf.symbolTable('symtab');
  const dynsym = elf.symbolTable('dynsym');
  const names = function* (): Generator<string> {
    if (symtab) yield* symtab.definedFunctionNames();
    if (dynsym) yield* dynsym.definedFunctionNames();
  };
  const suggestions = suggestNames(query.name, names());
  const didYouMean = suggestions.length > 0 ? ` Did you mean: ${suggestions.join(', ')}?` : '';
  if (!symtab) {
    const why = dynsym
      ? `it is not among the exported symbols (.dynsym), and the file has no .symtab (it was stripped), so static and hidden functions cannot be found`
      : 'the file has no symbol tables at all (it was stripped)';
    return new ElfError(
      'STRIPPED',
      `${path}: cannot find "${symbol}": ${why}. Use an unstripped build, install the file's debug symbols, ` +
        `or probe by file offset (${path}:0xOFFSET).${didYouMean}`,
      { path, symbol, suggestions },
    );
  }
  return new ElfError(
    'SYMBOL_NOT_FOUND',
    `${path}: no function named "${symbol}" in .symtab or .dynsym.${didYouMean} ` +
      `(\`nm --defined-only ${path}\` lists the available symbols.)`,
    { path, symbol, suggestions },
  );
}
