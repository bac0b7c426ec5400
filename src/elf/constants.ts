/**
 * ELF constants used by the reader (values from the System V gABI and the
 * GNU extensions documented in binutils' include/elf/common.h).
 *
 * Only what the reader needs is listed; names follow the specification so they
 * can be looked up directly.
 */

/** Size of `e_ident`, the identification bytes at the start of every ELF file. */
export const EI_NIDENT = 16;
/** `e_ident[EI_CLASS]` value for 32-bit objects. */
export const ELFCLASS32 = 1;
/** `e_ident[EI_CLASS]` value for 64-bit objects. */
export const ELFCLASS64 = 2;
/** `e_ident[EI_DATA]` value for little-endian objects. */
export const ELFDATA2LSB = 1;
/** `e_ident[EI_DATA]` value for big-endian objects. */
export const ELFDATA2MSB = 2;

/** Size in bytes of the ELF64 file header. */
export const ELF64_EHDR_SIZE = 64;
/** Size in bytes of one ELF64 program header. */
export const ELF64_PHDR_SIZE = 56;
/** Size in bytes of one ELF64 section header. */
export const ELF64_SHDR_SIZE = 64;
/** Size in bytes of one ELF64 symbol table entry. */
export const ELF64_SYM_SIZE = 24;
/** Size in bytes of one ELF64 dynamic section entry. */
export const ELF64_DYN_SIZE = 16;

/** Object file types (`e_type`). */
export const ET_REL = 1;
/** Executable with fixed addresses (non-PIE). */
export const ET_EXEC = 2;
/** Shared object or position-independent executable. */
export const ET_DYN = 3;
/** Core dump. */
export const ET_CORE = 4;

/** Program header type of a loadable segment. */
export const PT_LOAD = 1;
/** Program header type of a segment holding notes (the build id among them). */
export const PT_NOTE = 4;
/** Program header flag (`p_flags`) of a segment mapped executable. */
export const PF_X = 1;
/** Program header flag (`p_flags`) of a segment mapped writable. */
export const PF_W = 2;
/** Marker in `e_phnum` meaning "the real count is in section 0's sh_info". */
export const PN_XNUM = 0xffff;

/** Section types the reader looks for. */
export const SHT_SYMTAB = 2;
/** String table section. */
export const SHT_STRTAB = 3;
/** Dynamic linking information. */
export const SHT_DYNAMIC = 6;
/** Note section (`.note.gnu.build-id` and friends). */
export const SHT_NOTE = 7;
/** Occupies no file space (.bss); never a source of file offsets. */
export const SHT_NOBITS = 8;
/** Dynamic symbol table. */
export const SHT_DYNSYM = 11;
/** GNU symbol version definitions (.gnu.version_d). */
export const SHT_GNU_VERDEF = 0x6ffffffd;
/** GNU symbol version requirements (.gnu.version_r). */
export const SHT_GNU_VERNEED = 0x6ffffffe;
/** GNU symbol version table (.gnu.version), one u16 per .dynsym entry. */
export const SHT_GNU_VERSYM = 0x6fffffff;

/** Special section indices. */
export const SHN_UNDEF = 0;
/** Absolute symbol; not relative to any section. */
export const SHN_ABS = 0xfff1;
/** Common (unallocated) symbol in relocatable objects. */
export const SHN_COMMON = 0xfff2;
/** The real index is elsewhere (e_shstrndx: section 0's sh_link). */
export const SHN_XINDEX = 0xffff;
/** First reserved section index; indices at or above it are not sections. */
export const SHN_LORESERVE = 0xff00;

/** Symbol types (`ELF64_ST_TYPE(st_info)`). */
export const STT_NOTYPE = 0;
/** Data object. */
export const STT_OBJECT = 1;
/** Code. */
export const STT_FUNC = 2;
/** Section symbol. */
export const STT_SECTION = 3;
/** Source file name; precedes that file's local symbols in .symtab. */
export const STT_FILE = 4;
/** Thread-local data. */
export const STT_TLS = 6;
/** GNU indirect function: the address is the resolver, not the implementation. */
export const STT_GNU_IFUNC = 10;

/** Symbol bindings (`ELF64_ST_BIND(st_info)`). */
export const STB_LOCAL = 0;
/** Global binding. */
export const STB_GLOBAL = 1;
/** Weak binding. */
export const STB_WEAK = 2;
/** GNU unique binding (C++ inline statics / templates). */
export const STB_GNU_UNIQUE = 10;

/** Note type of the GNU build id (owner "GNU"): a hash identifying one build of a file. */
export const NT_GNU_BUILD_ID = 3;

/** Dynamic tags. */
export const DT_NULL = 0n;
/** Name of a needed library (offset into the dynamic string table). */
export const DT_NEEDED = 1n;
/** This object's own shared-object name. */
export const DT_SONAME = 14n;

/** `.gnu.version` entries: bit set when the version is hidden (`name@VER`). */
export const VERSYM_HIDDEN = 0x8000;
/** `.gnu.version` entries: mask for the version index. */
export const VERSYM_VERSION = 0x7fff;
/** Version index: local symbol, no version. */
export const VER_NDX_LOCAL = 0;
/** Version index: global, unversioned symbol. */
export const VER_NDX_GLOBAL = 1;
/** Verdef flag marking the file's own base version (its soname). */
export const VER_FLG_BASE = 1;

/** Human names for symbol types, as readelf prints them. */
export function symbolTypeName(type: number): string {
  switch (type) {
    case STT_NOTYPE:
      return 'NOTYPE';
    case STT_OBJECT:
      return 'OBJECT';
    case STT_FUNC:
      return 'FUNC';
    case STT_SECTION:
      return 'SECTION';
    case STT_FILE:
      return 'FILE';
    case STT_TLS:
      return 'TLS';
    case STT_GNU_IFUNC:
      return 'IFUNC';
    default:
      return `TYPE_${type}`;
  }
}

/** Human names for symbol bindings, as readelf prints them. */
export function symbolBindName(bind: number): string {
  switch (bind) {
    case STB_LOCAL:
      return 'LOCAL';
    case STB_GLOBAL:
      return 'GLOBAL';
    case STB_WEAK:
      return 'WEAK';
    case STB_GNU_UNIQUE:
      return 'UNIQUE';
    default:
      return `BIND_${bind}`;
  }
}
