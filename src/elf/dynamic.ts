/**
 * The dynamic section: which shared libraries a file needs (DT_NEEDED) and
 * its own shared-object name (DT_SONAME).
 *
 * The resolver uses this to tell a user whose symbol is only *imported* by a
 * program which library actually defines it, so they can probe that library.
 */
import type { ElfFile } from './elf-file.js';
import { DT_NEEDED, DT_NULL, DT_SONAME, ELF64_DYN_SIZE, SHT_DYNAMIC } from './constants.js';

/** What the dynamic section says about linking. */
export interface DynamicInfo {
  /** DT_NEEDED entries in order (sonames such as "libc.so.6"). */
  readonly needed: readonly string[];
  /** DT_SONAME, when the file is a shared library that declares one. */
  readonly soname: string | undefined;
}

/**
 * Read DT_NEEDED and DT_SONAME from the SHT_DYNAMIC section. Statically
 * linked files (no dynamic section) get an empty list.
 */
export function readDynamicInfo(elf: ElfFile): DynamicInfo {
  const sec = elf.sectionByType(SHT_DYNAMIC);
  if (!sec) return { needed: [], soname: undefined };
  const data = elf.readSection(sec, '.dynamic');
  // sh_link names the string table the d_val offsets point into (.dynstr);
  // using it avoids mapping DT_STRTAB's address back to a file offset.
  const strings = elf.readSection(elf.sectionAt(sec.link, ".dynamic's sh_link"), '.dynamic string table');
  const needed: string[] = [];
  let soname: string | undefined;
  const count = Math.floor(data.length / ELF64_DYN_SIZE);
  for (let i = 0; i < count; i++) {
    const tag = data.u64(i * ELF64_DYN_SIZE, 'd_tag');
    if (tag === DT_NULL) break;
    if (tag !== DT_NEEDED && tag !== DT_SONAME) continue;
    const val = data.u64(i * ELF64_DYN_SIZE + 8, 'd_val');
    // An offset beyond 4 GiB cannot be inside the string table; let cstr's
    // bounds check report it by clamping to an out-of-range number.
    const off = val > 0xffffffffn ? strings.length : Number(val);
    const name = strings.cstr(off, tag === DT_NEEDED ? 'DT_NEEDED library name' : 'DT_SONAME');
    if (tag === DT_NEEDED) needed.push(name);
    else soname = name;
  }
  return { needed, soname };
}
