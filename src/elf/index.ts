/**
 * ELF symbol resolution for uprobes: turn `PATH:SYMBOL[+OFFS]` into the file
 * offset the kernel's uprobe_events interface needs, and check raw `PATH:OFFSET` targets.
 *
 * Most callers need only {@link resolveUprobeOffset}; the reader classes are
 * exported for tools that inspect ELF files directly.
 */
export {
  resolveUprobeOffset,
  resolveInElf,
  parseSymbolSpec,
  type UprobeTarget,
  type ResolveOptions,
} from './resolve.js';
export { checkUprobeFileOffset, checkExecutableOffset, loadSegmentAt } from './file-offset.js';
export { ElfError, isElfError, type ElfErrorCode, type ElfErrorDetails } from './errors.js';
export { ElfFile, type ElfHeader, type ProgramHeader, type SectionHeader, type FileOffsetMapping } from './elf-file.js';
export { loadElfFile, clearElfCache, elfCacheSize, type LoadOptions } from './loader.js';
export { versionedName, splitVersionedName, SymbolTable, type ElfSymbol, type SymbolTableKind } from './symbols.js';
export type { DynamicInfo } from './dynamic.js';
export { BufferSource, FileSource, type ByteSource } from './bytes.js';
