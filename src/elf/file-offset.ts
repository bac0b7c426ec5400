/**
 * Checking a uprobe's file offset against the file's executable segments.
 *
 * The kernel accepts `PATH:OFFSET` for any offset inside the file and patches whatever byte is
 * there; an offset in data, in the headers or past the code never fires, or corrupts what it
 * hits. So every uprobe target — raw offsets as well as resolved symbols — must lie in the
 * file-backed part of a PT_LOAD segment with PF_X, checked before anything is written to tracefs.
 */
import { ET_CORE, ET_DYN, ET_EXEC, ET_REL, PF_W, PF_X, PT_LOAD } from './constants.js';
import type { ElfFile, ProgramHeader } from './elf-file.js';
import { ElfError } from './errors.js';
import { loadElfFile, type LoadOptions } from './loader.js';
import { cutInput } from '../errors.js';
import { hex } from '../hex.js';

/** Throws unless `elf` is a linked executable or shared object: only those have uprobe-able file offsets. */
export function checkFileType(elf: ElfFile): void {
  const t = elf.header.type;
  if (t === ET_EXEC || t === ET_DYN) return;
  const path = elf.path;
  const [what, hint] =
    t === ET_REL
      ? ['a relocatable object file (.o)', 'link it into an executable or shared library and probe that']
      : t === ET_CORE
        ? ['a core dump', 'probe the executable that produced it']
        : [`of unknown type ${t}`, 'only executables and shared libraries can be probed'];
  throw new ElfError('UNSUPPORTED_ELF', `${cutInput(path)} is ${what}.`, { path, hint });
}

/** The PT_LOAD segment whose file bytes contain `offset`, if any. */
function loadSegmentAt(elf: ElfFile, offset: bigint): ProgramHeader | undefined {
  return elf.programHeaders.find((p) => p.type === PT_LOAD && offset >= p.offset && offset - p.offset < p.filesz);
}

/** `readelf -l` style description of the executable segments, for messages. */
function executableRanges(elf: ElfFile): string {
  const ranges = elf.programHeaders
    .filter((p) => p.type === PT_LOAD && (p.flags & PF_X) !== 0 && p.filesz > 0n)
    .map((p) => `${hex(p.offset)}-${hex(p.offset + p.filesz - 1n)}`);
  return ranges.length > 0 ? ranges.join(', ') : 'none';
}

/**
 * Throws an {@link ElfError} unless file offset `offset` lies in the file-backed part of an
 * executable PT_LOAD segment of `elf`. `symbol` names what the offset was resolved from
 * (`main+0x4`), for the message. Files without any PT_LOAD (only synthetic test images) are not checked.
 */
export function checkExecutableOffset(elf: ElfFile, offset: bigint, symbol?: string): void {
  if (!elf.programHeaders.some((p) => p.type === PT_LOAD)) return;
  const path = elf.path;
  const target = `${cutInput(path)}: file offset ${hex(offset)}${symbol === undefined ? '' : ` (${cutInput(symbol)})`}`;
  const hint = `use a file offset inside an executable segment (here: ${executableRanges(elf)}), or PATH:SYMBOL`;
  if (offset >= BigInt(elf.size)) {
    throw new ElfError('OFFSET_OUT_OF_RANGE', `${target} is past the end of the file (${elf.size} bytes).`, {
      path,
      hint,
    });
  }
  const segment = loadSegmentAt(elf, offset);
  if (segment !== undefined && (segment.flags & PF_X) !== 0) return;
  const where =
    segment === undefined
      ? 'is in no loadable segment'
      : `is in a ${(segment.flags & PF_W) !== 0 ? 'writable' : 'read-only'} data segment, not an executable one`;
  throw new ElfError('OFFSET_NOT_EXECUTABLE', `${target} ${where}, so no code runs there.`, { path, symbol, hint });
}

/**
 * Checks a raw uprobe target `PATH:OFFSET`: the file exists, is a 64-bit ELF executable or
 * shared library, and `offset` lies in one of its executable segments.
 *
 * @throws ElfError (FILE_NOT_FOUND, NOT_ELF, OFFSET_OUT_OF_RANGE, OFFSET_NOT_EXECUTABLE, ...)
 */
export function checkUprobeFileOffset(path: string, offset: number, options: LoadOptions = {}): void {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new ElfError('INVALID_ARGUMENT', `Invalid file offset ${String(offset)} for ${cutInput(path)}.`, {
      path,
      hint: 'a file offset is a non-negative integer number of bytes',
    });
  }
  const elf = loadElfFile(path, options);
  checkFileType(elf);
  checkExecutableOffset(elf, BigInt(offset));
}
