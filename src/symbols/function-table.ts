/**
 * One mapped file's functions, decoded once into sorted typed arrays: file offset to ELF virtual
 * address through its PT_LOAD segments, then the function that holds it.
 */
import { PF_X, PT_LOAD } from '../elf/constants.js';
import { ElfFile } from '../elf/elf-file.js';
import { functionsFor } from './debug-file.js';
import { markExtended, preferred } from './function-symbols.js';

/**
 * How far before the nearest preceding symbol to look for one that still contains the address:
 * hand-written code (glibc's string functions) has entry points nested inside larger functions.
 */
const NESTED_LOOKBACK = 16;

/** A PT_LOAD segment's file bytes and where they are loaded. Numbers: user-space addresses fit in 2^53. */
interface Segment {
  readonly offset: number;
  readonly filesz: number;
  readonly vaddr: number;
  readonly executable: boolean;
}

/**
 * The functions of one file, sorted by address with one name per address, and its loadable
 * segments. `ends[i]` is where function `i` ends: its start plus its size, or for a symbol of
 * unknown size (0) the next function's start.
 */
export class FunctionTable {
  /**
   * @param segments the file's PT_LOAD segments that have file bytes
   * @param starts   function start addresses, ascending, distinct
   * @param ends     function end addresses (exclusive)
   * @param names    function names
   */
  constructor(
    private readonly segments: readonly Segment[],
    private readonly starts: Float64Array,
    private readonly ends: Float64Array,
    private readonly names: readonly string[],
  ) {}

  /**
   * Decode the functions of `elf`, the file mapped at `path` (see {@link functionsFor}); when
   * several share an address, the one perf would name it by (see {@link preferred}).
   */
  static build(elf: ElfFile, path: string, debugDirectory: string): FunctionTable {
    const segments = elf.programHeaders
      .filter((p) => p.type === PT_LOAD && p.filesz > 0n)
      .map((p) => ({
        offset: Number(p.offset),
        filesz: Number(p.filesz),
        vaddr: Number(p.vaddr),
        executable: (p.flags & PF_X) !== 0,
      }))
      // Code is looked up in executable segments, so those are tried first.
      .sort((a, b) => Number(b.executable) - Number(a.executable));
    const candidates = functionsFor(elf, path, debugDirectory);
    candidates.sort((a, b) => a.start - b.start || a.index - b.index);
    markExtended(candidates);
    const starts: number[] = [];
    const sizes: number[] = [];
    const names: string[] = [];
    for (let i = 0; i < candidates.length;) {
      // One name per address: the best of the run of aliases starting at i.
      let best = candidates[i]!;
      let j = i + 1;
      for (; j < candidates.length && candidates[j]!.start === best.start; j++) {
        if (preferred(candidates[j]!, best) < 0) best = candidates[j]!;
      }
      starts.push(best.start);
      sizes.push(best.size);
      names.push(best.name);
      i = j;
    }
    const n = starts.length;
    const startArray = Float64Array.from(starts);
    const endArray = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      endArray[i] = sizes[i]! > 0 ? starts[i]! + sizes[i]! : i + 1 < n ? starts[i + 1]! : Infinity;
    }
    return new FunctionTable(segments, startArray, endArray, names);
  }

  /** The virtual address the file offset is loaded at, through the PT_LOAD segment holding it. */
  virtualAddress(offset: number): number | undefined {
    for (const s of this.segments) {
      if (offset >= s.offset && offset < s.offset + s.filesz) return offset - s.offset + s.vaddr;
    }
    return undefined;
  }

  /** The index of the function holding virtual address `vaddr`, or -1. */
  indexOf(vaddr: number): number {
    const starts = this.starts;
    let lo = 0;
    let hi = starts.length - 1;
    let i = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid]! <= vaddr) {
        i = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    for (let j = i; j >= 0 && j >= i - NESTED_LOOKBACK; j--) {
      if (vaddr < this.ends[j]!) return j;
    }
    return -1;
  }

  /** The name of function `i`. */
  name(i: number): string {
    return this.names[i]!;
  }

  /** The start address of function `i`. */
  start(i: number): number {
    return this.starts[i]!;
  }
}
