/**
 * What a file says about its separate debug file: its GNU build id and its `.gnu_debuglink`.
 *
 * Distributions strip shared libraries down to `.dynsym` and ship the full symbol table in a
 * detached debug file (Debian's `libc6-dbg`, `*-dbgsym`, Fedora's `*-debuginfo`). Two records
 * lead to it. The build id, a hash the linker stores in an `NT_GNU_BUILD_ID` note, names it
 * under `/usr/lib/debug/.build-id/` and proves that a debug file belongs to this very build.
 * The debuglink names the debug file's basename, to be looked for next to the file.
 */
import type { ByteView } from './bytes.js';
import type { ElfFile } from './elf-file.js';
import { NT_GNU_BUILD_ID, PT_NOTE, SHT_NOTE } from './constants.js';

/** Size of a note header: `n_namesz`, `n_descsz`, `n_type`, 4 bytes each (in ELF64 too). */
const NOTE_HEADER_SIZE = 12;

/** Owner name of GNU notes, with its terminating NUL as the note stores it. */
const GNU_OWNER = Buffer.from('GNU\0', 'latin1');

/** Round `n` (a u32 from the file) up to the 4-byte alignment note names and descriptors are padded to. */
function align4(n: number): number {
  // Arithmetic, not `& ~3`: bitwise operators would wrap sizes of 2^31 and more to negative.
  return n + ((4 - (n % 4)) % 4);
}

/**
 * The descriptor of the first GNU note of type `type` in `notes`, or undefined. Name and
 * descriptor are padded to 4 bytes, as perf and libelf read them: the notes ld packs in 8-byte
 * aligned segments (`NT_GNU_PROPERTY_TYPE_0`) have sizes that are multiples of 8, so both
 * paddings agree on them. A note that runs past the region ends the walk: the region is file
 * data, and a corrupt size must neither throw nor send us reading elsewhere.
 */
function gnuNote(notes: ByteView, type: number): Buffer | undefined {
  const bytes = notes.bytes;
  let off = 0;
  while (off + NOTE_HEADER_SIZE <= bytes.length) {
    const namesz = bytes.readUInt32LE(off);
    const descsz = bytes.readUInt32LE(off + 4);
    const noteType = bytes.readUInt32LE(off + 8);
    const nameAt = off + NOTE_HEADER_SIZE;
    const descAt = nameAt + align4(namesz);
    const end = descAt + align4(descsz);
    // Sizes are u32, so these sums stay exact in doubles; the descriptor must fit unpadded.
    if (descAt + descsz > bytes.length) return undefined;
    if (noteType === type && namesz === GNU_OWNER.length && bytes.subarray(nameAt, nameAt + namesz).equals(GNU_OWNER)) {
      return bytes.subarray(descAt, descAt + descsz);
    }
    off = end;
  }
  return undefined;
}

/**
 * The regions of `elf` that hold notes: its PT_NOTE segments (every linked file has them, and
 * the program header table is small), then its SHT_NOTE sections (for files without program
 * headers). Debug files keep both, with the note bytes present.
 */
function* noteRegions(elf: ElfFile): Generator<ByteView> {
  for (const p of elf.programHeaders) {
    if (p.type === PT_NOTE && p.filesz > 0n) yield elf.source.read(p.offset, p.filesz, 'a PT_NOTE segment');
  }
  for (const s of elf.sections) {
    if (s.type === SHT_NOTE && s.size > 0n) yield elf.readSection(s, s.name || 'a note section');
  }
}

/**
 * The GNU build id of `elf` in lower-case hex, as `readelf -n` and perf print it and as the
 * `/usr/lib/debug/.build-id/` tree spells it; undefined when the file has none. Throws an
 * ElfError when a note segment or section lies outside the file.
 */
export function buildIdOf(elf: ElfFile): string | undefined {
  for (const region of noteRegions(elf)) {
    const desc = gnuNote(region, NT_GNU_BUILD_ID);
    // An empty descriptor identifies nothing; keep looking.
    if (desc !== undefined && desc.length > 0) return desc.toString('hex');
  }
  return undefined;
}

/**
 * The debug file name `elf`'s `.gnu_debuglink` section names, or undefined when there is none.
 * The section holds a NUL-terminated file name, padding to 4 bytes and the CRC32 of the debug
 * file; only the name is returned (checking the CRC means reading the whole debug file, and the
 * build id, when both files have one, proves the match more cheaply). A name with a `/` is
 * refused: the link is a basename by definition, and a path could lead outside the directories
 * a debug file is looked for in.
 */
export function debugLinkOf(elf: ElfFile): string | undefined {
  const section = elf.sections.find((s) => s.name === '.gnu_debuglink');
  if (section === undefined) return undefined;
  const bytes = elf.readSection(section, '.gnu_debuglink').bytes;
  const nul = bytes.indexOf(0);
  if (nul <= 0) return undefined;
  const name = bytes.toString('utf8', 0, nul);
  return name.includes('/') || name === '.' || name === '..' ? undefined : name;
}
