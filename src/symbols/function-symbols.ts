/**
 * The code symbols of an ELF file as perf reads them: functions and assembly labels, and which of
 * several names at one address a frame is given (perf's rules, so that frames read as in `perf
 * script`).
 */
import {
  SHN_LORESERVE,
  SHN_UNDEF,
  STB_GLOBAL,
  STB_WEAK,
  STT_FUNC,
  STT_GNU_IFUNC,
  STT_NOTYPE,
} from '../elf/constants.js';
import { ElfFile } from '../elf/elf-file.js';
import { versionedName, type SymbolTable } from '../elf/symbols.js';

/** One symbol of code (a function or an assembly label) while a table is built. */
export interface Candidate {
  readonly start: number;
  readonly size: number;
  /** The name perf shows: with the version a `.symtab` spells into it (`pthread_sigmask@@GLIBC_2.32`). */
  readonly name: string;
  /** `ELF64_ST_BIND`: STB_LOCAL, STB_GLOBAL, STB_WEAK… */
  readonly bind: number;
  /** Row in its table: the last word between equally good names, as in perf. */
  readonly index: number;
  /** Whether perf sees an extent: a size, or (see {@link markExtended}) one it gives a sizeless symbol. */
  sized: boolean;
}

/** Leading underscores: `__libc_malloc` and `malloc` share an address, and `malloc` is the name people know. */
function underscores(name: string): number {
  let n = 0;
  while (name.charCodeAt(n) === 95) n++;
  return n;
}

/**
 * Which of two symbols at the same address names it, by perf's rules (`choose_best_symbol` in
 * tools/perf/util/symbol.c), so frames read as in `perf script`: one with an extent; then one not
 * weak; then a global one (so a local beats a weak one: glibc's `__GI___sigprocmask` wins over the
 * weak `sigprocmask`); then fewer leading underscores; then the longer name (`__GI___read_nocancel`
 * over `__read_nocancel`); then the one earlier in the table, which perf's sorted insertion keeps.
 */
export function preferred(a: Candidate, b: Candidate): number {
  return (
    Number(b.sized) - Number(a.sized) ||
    Number(a.bind === STB_WEAK) - Number(b.bind === STB_WEAK) ||
    Number(b.bind === STB_GLOBAL) - Number(a.bind === STB_GLOBAL) ||
    underscores(a.name) - underscores(b.name) ||
    b.name.length - a.name.length ||
    a.index - b.index
  );
}

/**
 * The symbols of `table` (a table of `elf`) that name code, as perf takes them: defined functions
 * (STT_FUNC, STT_GNU_IFUNC), and untyped symbols in sections named like `.text`, which is how
 * assembly labels such as ld.so's `_dl_start_user` appear. Versions are part of a `.symtab` name
 * as the linker wrote it, and perf shows them; `.dynsym` names carry theirs in `.gnu.version`,
 * which perf does not read, so they stay bare.
 */
export function functionsOf(elf: ElfFile, table: SymbolTable): Candidate[] {
  const out: Candidate[] = [];
  const spelled = table.kind === 'symtab';
  let textSections: Set<number> | undefined;
  for (const sym of table.all()) {
    // Reserved indices (absolute values, common symbols) are in no section, so not in code.
    if (sym.shndx === SHN_UNDEF || sym.shndx >= SHN_LORESERVE || sym.value === 0n) continue;
    if (sym.type === STT_NOTYPE) {
      // perf's test is the section's name (elf_sec__is_text), not its flags.
      textSections ??= new Set(elf.sections.filter((sec) => sec.name.includes('text')).map((sec) => sec.index));
      if (!textSections.has(sym.shndx)) continue;
    } else if (sym.type !== STT_FUNC && sym.type !== STT_GNU_IFUNC) {
      continue;
    }
    out.push({
      start: Number(sym.value),
      size: Number(sym.size),
      name: spelled ? versionedName(sym) : sym.name,
      bind: sym.bind,
      index: sym.index,
      sized: sym.size > 0n,
    });
  }
  return out;
}

/**
 * Mark the sizeless symbols that perf sees with an extent. perf ends each sizeless symbol where
 * the next symbol starts, before it chooses among aliases; in its list, ordered by address and
 * then table row, the next symbol after any but the last alias at an address is another alias at
 * the same address, so only the last alias (and the very last symbol, which perf extends to a
 * page boundary) gets an extent, and with it precedence over sizeless aliases listed before it.
 * `candidates` must be sorted by start, then index.
 */
export function markExtended(candidates: readonly Candidate[]): void {
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i]!;
    if (!c.sized && (i + 1 === candidates.length || candidates[i + 1]!.start !== c.start)) c.sized = true;
  }
}
