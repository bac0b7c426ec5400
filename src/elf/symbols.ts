/**
 * Symbol tables (.symtab / .dynsym) and GNU symbol versioning.
 *
 * Versions matter for uprobes because a library can define the same name
 * twice (e.g. glibc's `pthread_cond_wait@GLIBC_2.2.5` and
 * `pthread_cond_wait@@GLIBC_2.3.2`) at different addresses, and users need a
 * way to say which one they mean. In .dynsym the version comes from
 * .gnu.version (one index per symbol) resolved through .gnu.version_d
 * (definitions) and .gnu.version_r (requirements, which also name the library
 * an undefined symbol is expected from). In .symtab, linkers sometimes keep
 * versions literally in the name (`name@VER`), which we split the same way.
 */
import type { ElfFile, SectionHeader } from './elf-file.js';
import type { ByteView } from './bytes.js';
import {
  ELF64_SYM_SIZE,
  SHN_UNDEF,
  STT_FILE,
  STT_FUNC,
  STT_GNU_IFUNC,
  STT_SECTION,
  SHT_DYNSYM,
  SHT_GNU_VERDEF,
  SHT_GNU_VERNEED,
  SHT_GNU_VERSYM,
  SHT_SYMTAB,
  VER_FLG_BASE,
  VER_NDX_GLOBAL,
  VERSYM_HIDDEN,
  VERSYM_VERSION,
} from './constants.js';
import { corrupt } from './errors.js';

/** Which symbol table: the full static one or the dynamic (exported) one. */
export type SymbolTableKind = 'symtab' | 'dynsym';

/** One named symbol, decoded. */
export interface ElfSymbol {
  /** Index in its table. */
  readonly index: number;
  /** Name without any version suffix. */
  readonly name: string;
  /** Version name (`GLIBC_2.2.5`), if the symbol is versioned. */
  readonly version: string | undefined;
  /** True for `name@VER` (not the default); false for `name@@VER` or unversioned. */
  readonly versionHidden: boolean;
  /** For versions required from another object: that object's soname. */
  readonly versionFile: string | undefined;
  /** `st_value`: the virtual address for defined symbols in linked files. */
  readonly value: bigint;
  /** `st_size`: size in bytes, 0 when unknown. */
  readonly size: bigint;
  /** `ELF64_ST_TYPE`: STT_FUNC, STT_OBJECT, STT_GNU_IFUNC… */
  readonly type: number;
  /** `ELF64_ST_BIND`: STB_LOCAL, STB_GLOBAL, STB_WEAK… */
  readonly bind: number;
  /** `st_shndx`: defining section, SHN_UNDEF (0) when imported. */
  readonly shndx: number;
  /** The table it came from. */
  readonly table: SymbolTableKind;
  /** For local .symtab symbols: the source file named by the preceding STT_FILE. */
  readonly sourceFile: string | undefined;
}

/** Per-row data of a {@link SymbolTable}, stored column-wise. */
interface Columns {
  readonly index: Uint32Array;
  readonly value: BigUint64Array;
  readonly size: BigUint64Array;
  readonly info: Uint8Array;
  readonly shndx: Uint16Array;
  readonly hidden: Uint8Array;
  readonly names: string[];
  readonly versions: (string | undefined)[];
  readonly versionFiles: (string | undefined)[];
  readonly sourceFiles: (string | undefined)[];
}

/**
 * A decoded symbol table. Rows are kept column-wise (typed arrays plus shared
 * strings) and turned into {@link ElfSymbol} objects only when asked for:
 * large binaries have 100k+ symbols and one object (plus two bigints) per
 * symbol made parsing dominated by allocation and GC.
 */
export class SymbolTable {
  private readonly head = new Map<string, number>();
  private readonly next: Int32Array;

  /**
   * @param kind        which table
   * @param sectionName section name, for messages
   * @param cols        the decoded rows
   * @param count       how many rows of `cols` are used
   */
  constructor(
    readonly kind: SymbolTableKind,
    readonly sectionName: string,
    private readonly cols: Columns,
    readonly count: number,
  ) {
    // Same-name rows are chained through `next` (newest first) so the index
    // costs one Map entry per distinct name.
    this.next = new Int32Array(count).fill(-1);
    for (let r = 0; r < count; r++) {
      const name = cols.names[r]!;
      const prev = this.head.get(name);
      if (prev !== undefined) this.next[r] = prev;
      this.head.set(name, r);
    }
  }

  /** The row `r` (0 <= r < count) as an object. */
  at(r: number): ElfSymbol {
    const c = this.cols;
    const info = c.info[r]!;
    return {
      index: c.index[r]!,
      name: c.names[r]!,
      version: c.versions[r],
      versionHidden: c.hidden[r] === 1,
      versionFile: c.versionFiles[r],
      value: c.value[r]!,
      size: c.size[r]!,
      type: info & 0xf,
      bind: info >> 4,
      shndx: c.shndx[r]!,
      table: this.kind,
      sourceFile: c.sourceFiles[r],
    };
  }

  /** Every symbol with this name (without version), in table order. */
  lookup(name: string): ElfSymbol[] {
    const out: ElfSymbol[] = [];
    for (let r = this.head.get(name) ?? -1; r >= 0; r = this.next[r]!) out.push(this.at(r));
    return out.reverse();
  }

  /** Every symbol, in table order (null, section and file symbols are left out). */
  *all(): Generator<ElfSymbol> {
    for (let r = 0; r < this.count; r++) yield this.at(r);
  }

  /** Names of defined STT_FUNC / STT_GNU_IFUNC symbols, without building objects. */
  *definedFunctionNames(): Generator<string> {
    for (let r = 0; r < this.count; r++) {
      const type = this.cols.info[r]! & 0xf;
      if ((type === STT_FUNC || type === STT_GNU_IFUNC) && this.cols.shndx[r] !== SHN_UNDEF) yield this.cols.names[r]!;
    }
  }
}

/** `name`, `name@VER` or `name@@VER`, as readelf and the GNU tools print them. */
export function versionedName(sym: Pick<ElfSymbol, 'name' | 'version' | 'versionHidden'>): string {
  if (sym.version === undefined) return sym.name;
  return `${sym.name}${sym.versionHidden ? '@' : '@@'}${sym.version}`;
}

/** Split a possibly versioned name the way the GNU tools write it. */
export function splitVersionedName(raw: string): { name: string; version: string | undefined; hidden: boolean } {
  const at = raw.indexOf('@');
  if (at <= 0) return { name: raw, version: undefined, hidden: false };
  const isDefault = raw.startsWith('@@', at);
  return { name: raw.slice(0, at), version: raw.slice(at + (isDefault ? 2 : 1)), hidden: !isDefault };
}

/** Decode `.symtab` or `.dynsym` from `elf`; null when the file has none. */
export function readSymbolTable(elf: ElfFile, kind: SymbolTableKind): SymbolTable | null {
  const sec = elf.sectionByType(kind === 'symtab' ? SHT_SYMTAB : SHT_DYNSYM);
  if (!sec) return null;
  const label = sec.name || (kind === 'symtab' ? '.symtab' : '.dynsym');
  if (sec.entsize < BigInt(ELF64_SYM_SIZE)) {
    throw corrupt(elf.path, `${label} has entry size ${sec.entsize}, expected ${ELF64_SYM_SIZE}`);
  }
  const data = elf.readSection(sec, label);
  // A (corrupt) entry size larger than the table just means no entries.
  const entsize = sec.entsize > BigInt(data.length) ? data.length + 1 : Number(sec.entsize);
  const strings = elf.readSection(elf.sectionAt(sec.link, `${label}'s sh_link`), `${label}'s string table`);
  const versions = kind === 'dynsym' ? readVersions(elf, sec.index) : undefined;

  // count * entsize <= data.length, so every fixed-size field below is in
  // bounds and can be read from the Buffer directly (this loop runs 100k+
  // times for large binaries); only string offsets need checking.
  const count = Math.floor(data.length / entsize);
  const bytes = data.bytes;
  const cols: Columns = {
    index: new Uint32Array(count),
    value: new BigUint64Array(count),
    size: new BigUint64Array(count),
    info: new Uint8Array(count),
    shndx: new Uint16Array(count),
    hidden: new Uint8Array(count),
    names: [],
    versions: [],
    versionFiles: [],
    sourceFiles: [],
  };
  let rows = 0;
  let sourceFile: string | undefined;
  // Index 0 is the reserved null symbol.
  for (let i = 1; i < count; i++) {
    const o = i * entsize;
    const nameOff = bytes.readUInt32LE(o);
    const info = bytes[o + 4]!;
    const type = info & 0xf;
    if (type === STT_FILE) {
      sourceFile = nameOff === 0 ? undefined : strings.cstr(nameOff, `name of ${label} symbol ${i}`);
      continue;
    }
    if (nameOff === 0 || type === STT_SECTION) continue;
    let name = strings.cstr(nameOff, `name of ${label} symbol ${i}`);
    let version: string | undefined;
    let hidden = false;
    let versionFile: string | undefined;
    if (name.indexOf('@') > 0) {
      ({ name, version, hidden } = splitVersionedName(name));
    } else {
      const v = versions?.forSymbol(i);
      if (v) ({ name: version, hidden, file: versionFile } = v);
    }
    cols.index[rows] = i;
    cols.value[rows] = bytes.readBigUInt64LE(o + 8);
    cols.size[rows] = bytes.readBigUInt64LE(o + 16);
    cols.info[rows] = info;
    cols.shndx[rows] = bytes.readUInt16LE(o + 6);
    cols.hidden[rows] = hidden ? 1 : 0;
    cols.names.push(name);
    cols.versions.push(version);
    cols.versionFiles.push(versionFile);
    // STT_FILE scopes only the local symbols, which all precede sh_info.
    cols.sourceFiles.push(info >> 4 === 0 ? sourceFile : undefined);
    rows++;
  }
  return new SymbolTable(kind, label, cols, rows);
}

/** A version name attached to a .dynsym entry. */
interface SymbolVersion {
  readonly name: string;
  readonly hidden: boolean;
  readonly file: string | undefined;
}

/** A version index's name and, for requirements, the library providing it. */
interface VersionName {
  readonly name: string;
  readonly file: string | undefined;
}

/** Lookup of the version of each .dynsym entry. */
interface VersionLookup {
  forSymbol(index: number): SymbolVersion | undefined;
}

/**
 * Read .gnu.version and resolve its indices through .gnu.version_d and
 * .gnu.version_r. Returns undefined when the file carries no versions.
 */
function readVersions(elf: ElfFile, dynsymIndex: number): VersionLookup | undefined {
  const versymSec =
    elf.sections.find((s) => s.type === SHT_GNU_VERSYM && s.link === dynsymIndex) ?? elf.sectionByType(SHT_GNU_VERSYM);
  if (!versymSec) return undefined;
  const versym = elf.readSection(versymSec, '.gnu.version');
  const names = new Map<number, VersionName>();
  const verdef = elf.sectionByType(SHT_GNU_VERDEF);
  if (verdef) readVerdef(elf, verdef, names);
  const verneed = elf.sectionByType(SHT_GNU_VERNEED);
  if (verneed) readVerneed(elf, verneed, names);
  return {
    forSymbol(index: number): SymbolVersion | undefined {
      // A short .gnu.version simply leaves the remaining symbols unversioned.
      if (index * 2 + 2 > versym.length) return undefined;
      const raw = versym.u16(index * 2, '.gnu.version entry');
      const ndx = raw & VERSYM_VERSION;
      if (ndx <= VER_NDX_GLOBAL) return undefined;
      const n = names.get(ndx);
      return n ? { name: n.name, hidden: (raw & VERSYM_HIDDEN) !== 0, file: n.file } : undefined;
    },
  };
}

/** Common walk over a linked list of variable-size records in a section. */
function* chain(view: ByteView, count: number, minRecord: number, nextField: number, what: string): Generator<number> {
  // Each record is at least minRecord bytes and `next` is unsigned, so the walk
  // moves forward and ends within size/minRecord steps even on corrupt data.
  const limit = Math.min(count > 0 ? count : Infinity, Math.floor(view.length / minRecord));
  let off = 0;
  for (let i = 0; i < limit; i++) {
    yield off;
    const next = view.u32(off + nextField, `${what} next pointer`);
    if (next === 0) return;
    off += next;
  }
}

/** Version definitions: index → name (the file's own base version is skipped). */
function readVerdef(elf: ElfFile, sec: SectionHeader, out: Map<number, VersionName>): void {
  const data = elf.readSection(sec, '.gnu.version_d');
  const strings = elf.readSection(elf.sectionAt(sec.link, '.gnu.version_d sh_link'), '.gnu.version_d string table');
  for (const off of chain(data, sec.info, 20, 16, '.gnu.version_d')) {
    const flags = data.u16(off + 2, 'vd_flags');
    const ndx = data.u16(off + 4, 'vd_ndx');
    const cnt = data.u16(off + 6, 'vd_cnt');
    const aux = data.u32(off + 12, 'vd_aux');
    if (cnt === 0 || (flags & VER_FLG_BASE) !== 0) continue;
    // The first auxiliary entry holds this version's own name.
    const name = strings.cstr(data.u32(off + aux, 'vda_name'), 'version definition name');
    out.set(ndx & VERSYM_VERSION, { name, file: undefined });
  }
}

/** Version requirements: index → name plus the library it is required from. */
function readVerneed(elf: ElfFile, sec: SectionHeader, out: Map<number, VersionName>): void {
  const data = elf.readSection(sec, '.gnu.version_r');
  const strings = elf.readSection(elf.sectionAt(sec.link, '.gnu.version_r sh_link'), '.gnu.version_r string table');
  for (const off of chain(data, sec.info, 16, 12, '.gnu.version_r')) {
    const cnt = data.u16(off + 2, 'vn_cnt');
    const file = strings.cstr(data.u32(off + 4, 'vn_file'), 'needed library name');
    const auxOff = data.u32(off + 8, 'vn_aux');
    if (cnt === 0) continue;
    // vna_next is relative to each aux record, so walk a view starting at the first one.
    const auxView = data.from(off + auxOff, 'vn_aux');
    for (const a of chain(auxView, cnt, 16, 12, '.gnu.version_r aux')) {
      const ndx = auxView.u16(a + 6, 'vna_other');
      const name = strings.cstr(auxView.u32(a + 8, 'vna_name'), 'required version name');
      out.set(ndx & VERSYM_VERSION, { name, file });
    }
  }
}
