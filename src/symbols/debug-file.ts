/**
 * A stripped file's functions from its detached debug file (`libc6-dbg` installs libc's), found by
 * build id or `.gnu_debuglink` where perf and gdb look for it.
 */
import { dirname, join } from 'node:path';
import { buildIdOf, debugLinkOf } from '../elf/build-id.js';
import { ElfFile } from '../elf/elf-file.js';
import { type Candidate, functionsOf } from './function-symbols.js';

/**
 * Where a detached debug file of the file at `path` may be: by build id under the debug directory,
 * then by debuglink in the file's directory, in its `.debug` subdirectory and under the debug
 * directory, as perf and gdb look (perf's `DSO_BINARY_TYPE__BUILDID_DEBUGINFO` and `__DEBUGLINK`).
 */
function debugFileCandidates(
  path: string,
  buildId: string | undefined,
  link: string | undefined,
  debugDirectory: string,
): string[] {
  const paths: string[] = [];
  // Ids are at least a byte; a shorter one could not be split into the directory and the name.
  if (buildId !== undefined && buildId.length > 2) {
    paths.push(join(debugDirectory, '.build-id', buildId.slice(0, 2), `${buildId.slice(2)}.debug`));
  }
  if (link !== undefined) {
    const dir = dirname(path);
    paths.push(join(dir, link), join(dir, '.debug', link), join(debugDirectory, dir, link));
  }
  return paths;
}

/**
 * The functions of `elf`'s detached debug file (its `.symtab`; its code sections are NOBITS, so
 * nothing else of it is used), or undefined when none is installed. When `elf` has a build id the
 * debug file must have the same one, as perf requires: a debuglink names only a file, which may
 * be left from another version of the library. Problems with a candidate make it no candidate.
 */
function debugFunctions(elf: ElfFile, path: string, debugDirectory: string): Candidate[] | undefined {
  let buildId: string | undefined;
  let link: string | undefined;
  try {
    buildId = buildIdOf(elf);
    link = debugLinkOf(elf);
  } catch {
    // Corrupt notes or sections: the file's own tables may still be fine.
    return undefined;
  }
  for (const candidate of debugFileCandidates(path, buildId, link, debugDirectory)) {
    let debug: ElfFile;
    try {
      debug = ElfFile.open(candidate);
    } catch {
      continue;
    }
    try {
      if (buildId !== undefined && buildIdOf(debug) !== buildId) continue;
      const table = debug.symbolTable('symtab');
      const functions = table === null ? [] : functionsOf(debug, table);
      if (functions.length > 0) return functions;
    } catch {
      // Unreadable or corrupt: try the next place.
    } finally {
      debug.close();
    }
  }
  return undefined;
}

/**
 * The functions `elf` is symbolized with: its `.symtab`; else its detached debug file's; else its
 * `.dynsym`, as perf falls back (a stripped file keeps only what it exports).
 */
export function functionsFor(elf: ElfFile, path: string, debugDirectory: string): Candidate[] {
  const own = elf.symbolTable('symtab');
  const fromSymtab = own === null ? [] : functionsOf(elf, own);
  if (fromSymtab.length > 0) return fromSymtab;
  const fromDebug = debugFunctions(elf, path, debugDirectory);
  if (fromDebug !== undefined) return fromDebug;
  const dynsym = elf.symbolTable('dynsym');
  return dynsym === null ? [] : functionsOf(elf, dynsym);
}
