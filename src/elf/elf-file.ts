/**
 * A lazy reader for 64-bit little-endian ELF files.
 *
 * The file header is parsed (and validated) on construction because every
 * other question depends on it; program headers, section headers, symbol
 * tables and dynamic information are parsed on first use and memoized, so a
 * lookup in a large binary reads only the tables it needs.
 */
import { BufferSource, FileSource, toSafeNumber, type ByteSource, type ByteView } from './bytes.js';
import {
  ELF64_EHDR_SIZE,
  ELF64_PHDR_SIZE,
  ELF64_SHDR_SIZE,
  ELFCLASS32,
  ELFCLASS64,
  ELFDATA2LSB,
  ELFDATA2MSB,
  PN_XNUM,
  PT_LOAD,
  SHN_LORESERVE,
  SHN_UNDEF,
  SHN_XINDEX,
  SHT_NOBITS,
} from './constants.js';
import { corrupt, ElfError } from './errors.js';
import { cutInput } from '../errors.js';
import { readDynamicInfo, type DynamicInfo } from './dynamic.js';
import { readSymbolTable, type SymbolTable, type SymbolTableKind } from './symbols.js';

/** The fields of the ELF file header the library uses. */
export interface ElfHeader {
  /** `e_type`: ET_EXEC, ET_DYN (shared object or PIE), ET_REL, ET_CORE… */
  readonly type: number;
  /** `e_machine`: 62 for x86_64. */
  readonly machine: number;
  /** `e_entry`: entry point virtual address. */
  readonly entry: bigint;
  /** Number of program headers (after PN_XNUM extension). */
  readonly phnum: number;
  /** Number of section headers (after extended numbering). */
  readonly shnum: number;
}

/** One program header (segment). */
export interface ProgramHeader {
  /** `p_type`: PT_LOAD etc. */
  readonly type: number;
  /** `p_flags`: PF_R / PF_W / PF_X bits. */
  readonly flags: number;
  /** `p_offset`: where the segment's bytes start in the file. */
  readonly offset: bigint;
  /** `p_vaddr`: where the segment is mapped (relative to load base for ET_DYN). */
  readonly vaddr: bigint;
  /** `p_filesz`: bytes backed by the file. */
  readonly filesz: bigint;
  /** `p_memsz`: bytes in memory (larger than filesz for .bss). */
  readonly memsz: bigint;
}

/** One section header, with its name resolved. */
export interface SectionHeader {
  /** Index in the section header table (what st_shndx refers to). */
  readonly index: number;
  /** Name from the section name string table ('' when there is none). */
  readonly name: string;
  /** `sh_type`: SHT_SYMTAB, SHT_DYNSYM, … */
  readonly type: number;
  /** `sh_flags`. */
  readonly flags: bigint;
  /** `sh_addr`: virtual address when loaded (0 if not allocated). */
  readonly addr: bigint;
  /** `sh_offset`: where the section's bytes are in the file. */
  readonly offset: bigint;
  /** `sh_size`: size in bytes. */
  readonly size: bigint;
  /** `sh_link`: type-dependent link to another section (e.g. its string table). */
  readonly link: number;
  /** `sh_info`: type-dependent extra information. */
  readonly info: number;
  /** `sh_entsize`: size of one entry for table sections. */
  readonly entsize: bigint;
}

/** How a virtual address was mapped to a file offset. */
export interface FileOffsetMapping {
  /** The file offset. */
  readonly offset: bigint;
  /** Whether a PT_LOAD segment or (fallback) the symbol's section was used. */
  readonly via: 'segment' | 'section';
}

/**
 * A parsed ELF64 little-endian file. Create it with {@link ElfFile.open}
 * (reads only what is needed through a file descriptor; call `close()`) or
 * {@link ElfFile.fromBuffer} (whole file in memory).
 */
export class ElfFile {
  /** The validated file header. */
  readonly header: ElfHeader;
  private readonly phoff: bigint;
  private readonly phentsize: number;
  private readonly shoff: bigint;
  private readonly shentsize: number;
  private readonly shstrndx: number;
  private phdrCache: ProgramHeader[] | undefined;
  private shdrCache: SectionHeader[] | undefined;
  private dynamicCache: DynamicInfo | undefined;
  private readonly symtabCache = new Map<SymbolTableKind, SymbolTable | null>();

  /**
   * Parse and validate the file header. Prefer the static constructors; this
   * one is public so callers can supply their own {@link ByteSource}.
   */
  constructor(readonly source: ByteSource) {
    const path = source.path;
    const ident = readIdent(source);
    if (ident.class === ELFCLASS32) {
      throw new ElfError(
        'UNSUPPORTED_ELF',
        `${cutInput(path)} is a 32-bit ELF file; only 64-bit (x86_64) ELF files are supported.`,
        { path },
      );
    }
    if (ident.class !== ELFCLASS64) {
      throw corrupt(path, `invalid ELF class ${ident.class} in e_ident`);
    }
    if (ident.data === ELFDATA2MSB) {
      throw new ElfError(
        'UNSUPPORTED_ELF',
        `${cutInput(path)} is a big-endian ELF file; only little-endian (x86_64) ELF files are supported.`,
        { path },
      );
    }
    if (ident.data !== ELFDATA2LSB) {
      throw corrupt(path, `invalid data encoding ${ident.data} in e_ident`);
    }
    const h = source.read(0, ELF64_EHDR_SIZE, 'the ELF file header');
    this.phoff = h.u64(32, 'e_phoff');
    this.shoff = h.u64(40, 'e_shoff');
    this.phentsize = h.u16(54, 'e_phentsize');
    this.shentsize = h.u16(58, 'e_shentsize');
    let phnum = h.u16(56, 'e_phnum');
    let shnum = h.u16(60, 'e_shnum');
    let shstrndx = h.u16(62, 'e_shstrndx');
    // Extended numbering: when a count does not fit in 16 bits the header holds
    // a marker and the real value lives in section header 0.
    if (this.shoff !== 0n && (shnum === 0 || shstrndx === SHN_XINDEX || phnum === PN_XNUM)) {
      if (this.shentsize < ELF64_SHDR_SIZE) {
        throw corrupt(path, `e_shentsize is ${this.shentsize}, expected at least ${ELF64_SHDR_SIZE}`);
      }
      const s0 = source.read(this.shoff, ELF64_SHDR_SIZE, 'section header 0');
      if (shnum === 0) shnum = toSafeNumber(s0.u64(32, 'sh_size'), path, 'extended section count');
      if (shstrndx === SHN_XINDEX) shstrndx = s0.u32(40, 'sh_link');
      if (phnum === PN_XNUM) phnum = s0.u32(44, 'sh_info');
    }
    if (this.shoff === 0n) shnum = 0;
    if (phnum > 0 && this.phentsize < ELF64_PHDR_SIZE) {
      throw corrupt(path, `e_phentsize is ${this.phentsize}, expected at least ${ELF64_PHDR_SIZE}`);
    }
    if (shnum > 0 && this.shentsize < ELF64_SHDR_SIZE) {
      throw corrupt(path, `e_shentsize is ${this.shentsize}, expected at least ${ELF64_SHDR_SIZE}`);
    }
    this.shstrndx = shstrndx;
    this.header = {
      type: h.u16(16, 'e_type'),
      machine: h.u16(18, 'e_machine'),
      entry: h.u64(24, 'e_entry'),
      phnum,
      shnum,
    };
  }

  /** Parse a file that is already in memory. */
  static fromBuffer(buf: Buffer, path = '<buffer>'): ElfFile {
    return new ElfFile(new BufferSource(buf, path));
  }

  /**
   * Open `path` for lazy reading through a file descriptor (see
   * {@link FileSource.open}). The caller must `close()` it.
   */
  static open(path: string): ElfFile {
    const source = FileSource.open(path);
    try {
      return new ElfFile(source);
    } catch (err) {
      source.close();
      throw err;
    }
  }

  /** The file name used in messages. */
  get path(): string {
    return this.source.path;
  }

  /** File size in bytes. */
  get size(): number {
    return this.source.size;
  }

  /** Release the file descriptor (if any). Memoized tables stay usable. */
  close(): void {
    this.source.close();
  }

  /** All program headers, parsed on first use. */
  get programHeaders(): readonly ProgramHeader[] {
    this.phdrCache ??= this.readProgramHeaders();
    return this.phdrCache;
  }

  private readProgramHeaders(): ProgramHeader[] {
    const n = this.header.phnum;
    const list: ProgramHeader[] = [];
    if (n > 0) {
      const v = this.source.read(this.phoff, BigInt(n) * BigInt(this.phentsize), 'the program header table');
      for (let i = 0; i < n; i++) {
        const o = i * this.phentsize;
        list.push({
          type: v.u32(o, 'p_type'),
          flags: v.u32(o + 4, 'p_flags'),
          offset: v.u64(o + 8, 'p_offset'),
          vaddr: v.u64(o + 16, 'p_vaddr'),
          filesz: v.u64(o + 32, 'p_filesz'),
          memsz: v.u64(o + 40, 'p_memsz'),
        });
      }
    }
    return list;
  }

  /** All section headers with names, parsed on first use. */
  get sections(): readonly SectionHeader[] {
    this.shdrCache ??= this.readSections();
    return this.shdrCache;
  }

  private readSections(): SectionHeader[] {
    const n = this.header.shnum;
    const raw: (Omit<SectionHeader, 'name'> & { nameOff: number })[] = [];
    if (n > 0) {
      const v = this.source.read(this.shoff, BigInt(n) * BigInt(this.shentsize), 'the section header table');
      for (let i = 0; i < n; i++) {
        const o = i * this.shentsize;
        raw.push({
          index: i,
          nameOff: v.u32(o, 'sh_name'),
          type: v.u32(o + 4, 'sh_type'),
          flags: v.u64(o + 8, 'sh_flags'),
          addr: v.u64(o + 16, 'sh_addr'),
          offset: v.u64(o + 24, 'sh_offset'),
          size: v.u64(o + 32, 'sh_size'),
          link: v.u32(o + 40, 'sh_link'),
          info: v.u32(o + 44, 'sh_info'),
          entsize: v.u64(o + 56, 'sh_entsize'),
        });
      }
    }
    let names: ByteView | undefined;
    if (this.shstrndx !== SHN_UNDEF && n > 0) {
      const strSec = raw[this.shstrndx];
      if (!strSec) {
        throw corrupt(this.path, `e_shstrndx ${this.shstrndx} is not a valid section index (there are ${n})`);
      }
      names = this.readSection(strSec, 'the section name string table');
    }
    return raw.map(({ nameOff, ...s }) => ({
      ...s,
      name: names ? names.cstr(nameOff, `name of section ${s.index}`) : '',
    }));
  }

  /** The first section of the given `sh_type`, if any. */
  sectionByType(type: number): SectionHeader | undefined {
    return this.sections.find((s) => s.type === type);
  }

  /** The section at `index`, or a CORRUPT_ELF error naming `referrer`. */
  sectionAt(index: number, referrer: string): SectionHeader {
    const s = this.sections[index];
    if (!s || index === SHN_UNDEF) {
      throw corrupt(this.path, `${referrer} refers to section ${index}, which does not exist`);
    }
    return s;
  }

  /** The bytes of a section (bounds-checked; SHT_NOBITS sections have none). */
  readSection(section: Pick<SectionHeader, 'type' | 'offset' | 'size' | 'index'>, what: string): ByteView {
    if (section.type === SHT_NOBITS) return this.source.read(0, 0, what);
    return this.source.read(section.offset, section.size, what);
  }

  /**
   * Map a virtual address to a file offset the way perf does for uprobes:
   * `vaddr - p_vaddr + p_offset` of the PT_LOAD segment whose file-backed part
   * contains it; if no segment does (unusual layouts, objects without program
   * headers) fall back to the section `shndx` with `sh_addr`/`sh_offset`.
   * Returns undefined when the address is not backed by bytes of the file.
   */
  addressToFileOffset(vaddr: bigint, shndx?: number): FileOffsetMapping | undefined {
    for (const p of this.programHeaders) {
      if (p.type === PT_LOAD && vaddr >= p.vaddr && vaddr - p.vaddr < p.filesz) {
        return { offset: vaddr - p.vaddr + p.offset, via: 'segment' };
      }
    }
    if (shndx !== undefined && shndx !== SHN_UNDEF && shndx < SHN_LORESERVE) {
      const s = this.sections[shndx];
      if (s && s.type !== SHT_NOBITS && vaddr >= s.addr && vaddr - s.addr < s.size) {
        return { offset: vaddr - s.addr + s.offset, via: 'section' };
      }
    }
    return undefined;
  }

  /**
   * `.symtab` (full, static symbols) or `.dynsym` (exported symbols), parsed
   * on first use; null when the file has no such table (e.g. stripped).
   */
  symbolTable(kind: SymbolTableKind): SymbolTable | null {
    let t = this.symtabCache.get(kind);
    if (t === undefined) {
      t = readSymbolTable(this, kind);
      this.symtabCache.set(kind, t);
    }
    return t;
  }

  /**
   * Parse every table the resolver may need, so the object stays usable after
   * `close()` (that is how the cache keeps it without holding a descriptor).
   */
  loadAll(): this {
    this.phdrCache ??= this.readProgramHeaders();
    this.shdrCache ??= this.readSections();
    this.symbolTable('symtab');
    this.symbolTable('dynsym');
    this.dynamicCache ??= readDynamicInfo(this);
    return this;
  }

  /** DT_NEEDED libraries and DT_SONAME from the dynamic section. */
  get dynamic(): DynamicInfo {
    this.dynamicCache ??= readDynamicInfo(this);
    return this.dynamicCache;
  }
}

/** Magic number and the two identification bytes we dispatch on. */
function readIdent(source: ByteSource): { class: number; data: number } {
  const path = source.path;
  const n = Math.min(source.size, 16);
  const ident = source.read(0, n, 'e_ident').bytes;
  const magicOk = n >= 4 && ident[0] === 0x7f && ident[1] === 0x45 && ident[2] === 0x4c && ident[3] === 0x46;
  if (!magicOk) {
    let why = source.size === 0 ? 'it is empty' : 'it does not start with the ELF magic bytes 7f 45 4c 46';
    if (n >= 2 && ident[0] === 0x23 && ident[1] === 0x21) {
      why = 'it is a script (starts with "#!"); probe the interpreter binary or its functions instead';
    }
    throw new ElfError('NOT_ELF', `${cutInput(path)} is not an ELF file: ${why}.`, {
      path,
      hint: 'uprobes need a compiled executable or shared library',
    });
  }
  if (source.size < ELF64_EHDR_SIZE) {
    throw corrupt(path, `the ELF header needs ${ELF64_EHDR_SIZE} bytes but the file has only ${source.size}`);
  }
  return { class: ident[4]!, data: ident[5]! };
}
