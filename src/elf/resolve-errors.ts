/**
 * The errors of symbol resolution (src/elf/resolve.ts) that need more than a sentence: they list
 * competing definitions, implementations of an IFUNC, libraries that may define an import, or
 * names close to a typo. Each says what is wrong in its message and what to do in its hint.
 */
import { SHN_UNDEF, STT_FUNC, STT_NOTYPE, STT_OBJECT, STT_TLS, symbolBindName, symbolTypeName } from './constants.js';
import type { ElfFile } from './elf-file.js';
import { ElfError } from './errors.js';
import { suggestNames } from './suggest.js';
import { versionedName, type ElfSymbol } from './symbols.js';
import { cutInput } from '../errors.js';
import { hex } from '../hex.js';

/** One line describing a symbol for error messages. */
function describeSymbol(s: ElfSymbol, elf?: ElfFile): string {
  const off = elf?.addressToFileOffset(s.value, s.shndx);
  const parts = [
    `${cutInput(versionedName(s))} (${symbolTypeName(s.type)} ${symbolBindName(s.bind)}`,
    `at ${hex(s.value)}`,
    off ? `file offset ${hex(off.offset)}` : undefined,
    `size ${s.size}`,
    `in .${s.table}${s.sourceFile ? `, from ${cutInput(s.sourceFile)}` : ''})`,
  ];
  return parts.filter((p) => p !== undefined).join(', ');
}

/** `symbol` is defined at several addresses (`reps`: one symbol per address). */
export function ambiguousSymbol(elf: ElfFile, symbol: string, reps: ElfSymbol[]): ElfError {
  const path = elf.path;
  const shown = cutInput(path);
  const candidates = reps.map((s) => describeSymbol(s, elf));
  const versions = new Set(reps.map((s) => s.version));
  const byVersion =
    versions.size === reps.length && !versions.has(undefined)
      ? `Name the version you want, e.g. ${shown}:${versionedName(reps[0]!)}; or probe`
      : 'Probe';
  const firstOff = elf.addressToFileOffset(reps[0]!.value, reps[0]!.shndx);
  const example = `${shown}:${firstOff ? hex(firstOff.offset) : '0xOFFSET'}`;
  return new ElfError(
    'SYMBOL_AMBIGUOUS',
    `${shown}: "${cutInput(symbol)}" is defined ${reps.length} times at different addresses:\n` +
      candidates.map((c) => `  - ${c}`).join('\n'),
    {
      path,
      symbol,
      candidates,
      hint: `${byVersion} the one you mean by file offset, e.g. ${example}.`,
    },
  );
}

/** `sym` is a GNU indirect function: its address is the resolver, not the code that runs per call. */
export function ifuncSymbol(elf: ElfFile, sym: ElfSymbol): ElfError {
  const path = elf.path;
  const base = sym.name.replace(/^_+/, '');
  // Implementations are usually local functions named after the IFUNC
  // (__memcpy_avx_unaligned for memcpy); only .symtab has locals. The resolver
  // itself shares the IFUNC's address and is left out.
  const implementations = new Set<string>();
  for (const s of elf.symbolTable('symtab')?.all() ?? []) {
    const isImplementation = s.type === STT_FUNC && s.shndx !== SHN_UNDEF && s.value !== sym.value;
    if (isImplementation && base.length >= 3 && s.name.includes(base)) {
      implementations.add(s.name);
    }
  }
  const list = [...implementations].sort().slice(0, 8);
  const hint =
    list.length > 0
      ? `Probe one of its implementations instead: ${list.join(', ')}.`
      : elf.symbolTable('symtab')
        ? 'Probe the implementation function it selects instead (see `nm` for candidates).'
        : 'Its implementations are usually local symbols found only in .symtab, which this file lacks; ' +
          'install its debug symbols (e.g. the -dbg/-dbgsym package) to see them.';
  return new ElfError(
    'SYMBOL_IS_IFUNC',
    `${cutInput(path)}: ${cutInput(versionedName(sym))} is a GNU indirect function (IFUNC). Its address is the ` +
      'resolver that runs once per process, at load time, to pick a CPU-specific implementation, not the code that ' +
      'runs on each call, so a uprobe there would fire at most once per process.',
    {
      path,
      symbol: versionedName(sym),
      suggestions: list,
      hint: `${hint} (Pass allowIfunc to probe the resolver anyway.)`,
    },
  );
}

/** `symbol` names data (or an untyped label), not a function. */
export function notAFunction(elf: ElfFile, symbol: string, s: ElfSymbol): ElfError {
  const path = elf.path;
  let hint = 'Uprobes can only be placed on code: give a function name.';
  if (s.type === STT_NOTYPE) {
    const off = elf.addressToFileOffset(s.value, s.shndx);
    if (off) {
      hint = `If it is a label inside code (assembly), probe it by file offset: ${cutInput(path)}:${hex(off.offset)}.`;
    }
  }
  const kind =
    s.type === STT_OBJECT
      ? 'data (OBJECT)'
      : s.type === STT_TLS
        ? 'thread-local data (TLS)'
        : s.type === STT_NOTYPE
          ? 'untyped (NOTYPE)'
          : symbolTypeName(s.type);
  return new ElfError('NOT_A_FUNCTION', `${cutInput(path)}: ${describeSymbol(s)} is ${kind}, not a function.`, {
    path,
    symbol,
    hint,
  });
}

/** `symbol` is only imported by this file, from a shared library. */
export function undefinedHere(elf: ElfFile, symbol: string, imported: ElfSymbol[]): ElfError {
  const path = elf.path;
  const fromVersions = [...new Set(imported.map((s) => s.versionFile).filter((f): f is string => f !== undefined))];
  const libraries = fromVersions.length > 0 ? fromVersions : [...elf.dynamic.needed];
  const where =
    fromVersions.length > 0
      ? `it is imported from ${fromVersions.join(', ')}`
      : libraries.length > 0
        ? `it is imported from one of the shared libraries it needs: ${libraries.join(', ')}`
        : 'it is imported from a shared library loaded at run time';
  const example = libraries[0] ? ` e.g. /full/path/to/${libraries[0]}:${imported[0]!.name}` : '';
  const problem = `${cutInput(path)}: "${cutInput(symbol)}" is not defined in this file; ${where}.`;
  return new ElfError('SYMBOL_UNDEFINED', problem, {
    path,
    symbol,
    libraries,
    hint: `Probe the library that defines it instead,${example} (\`ldd ${cutInput(path)}\` shows the full paths).`,
  });
}

/** No function named `symbol` (or not with the requested version); suggests close names. */
export function symbolNotFound(
  elf: ElfFile,
  symbol: string,
  query: { name: string; version: string | undefined },
  named: ElfSymbol[],
): ElfError {
  const path = elf.path;
  const shown = cutInput(path);
  if (query.version !== undefined && named.some((s) => s.shndx !== SHN_UNDEF)) {
    const available = [...new Set(named.filter((s) => s.shndx !== SHN_UNDEF).map((s) => versionedName(s)))];
    return new ElfError(
      'SYMBOL_NOT_FOUND',
      `${shown}: "${cutInput(query.name)}" exists but not with version ${cutInput(query.version)}; ` +
        `available: ${available.join(', ')}.`,
      { path, symbol, suggestions: available, hint: `name one of the available versions, e.g. ${available[0]}` },
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
      ? 'it is not among the exported symbols (.dynsym), and the file has no .symtab (it was stripped), ' +
        'so static and hidden functions cannot be found'
      : 'the file has no symbol tables at all (it was stripped)';
    return new ElfError('STRIPPED', `${shown}: cannot find "${cutInput(symbol)}": ${why}.${didYouMean}`, {
      path,
      symbol,
      suggestions,
      hint: `Use an unstripped build, install the file's debug symbols, or probe by file offset (${shown}:0xOFFSET).`,
    });
  }
  const problem = `${shown}: no function named "${cutInput(symbol)}" in .symtab or .dynsym.${didYouMean}`;
  return new ElfError('SYMBOL_NOT_FOUND', problem, {
    path,
    symbol,
    suggestions,
    hint: `\`nm --defined-only ${shown}\` lists the available symbols.`,
  });
}

/** `sym`'s address lies in no loadable segment backed by the file: there is no file offset to probe. */
export function addressNotMapped(elf: ElfFile, symbol: string, sym: ElfSymbol): ElfError {
  return new ElfError(
    'ADDRESS_NOT_MAPPED',
    `${cutInput(elf.path)}: ${describeSymbol(sym)} is at address ${hex(sym.value)}, which is not inside any ` +
      'loadable segment backed by the file, so it has no file offset to probe.',
    { path: elf.path, symbol },
  );
}

/** `+offset` lies beyond the end of `sym`, which is `size` bytes long. */
export function offsetOutsideFunction(
  elf: ElfFile,
  symbol: string,
  sym: ElfSymbol,
  offset: number,
  size: number,
): ElfError {
  const shownPath = cutInput(elf.path);
  return new ElfError(
    'OFFSET_OUT_OF_RANGE',
    `${shownPath}: offset +${hex(offset)} is outside ${cutInput(versionedName(sym))}, ` +
      `which is ${size} (${hex(size)}) bytes long.`,
    {
      path: elf.path,
      symbol,
      hint:
        `use an offset from 0 to ${hex(size - 1)} ` +
        `(e.g. from \`objdump -d --disassemble=${sym.name} ${shownPath}\`)`,
    },
  );
}

/** `+offset` from `sym` (whose size is unknown) leaves the file-backed range that holds the function. */
export function offsetLeavesSegment(elf: ElfFile, symbol: string, sym: ElfSymbol, offset: number): ElfError {
  return new ElfError(
    'OFFSET_OUT_OF_RANGE',
    `${cutInput(elf.path)}: offset +${hex(offset)} from ${cutInput(versionedName(sym))} ` +
      'leaves the segment that contains the function.',
    { path: elf.path, symbol, hint: 'use a smaller offset, inside the function' },
  );
}
