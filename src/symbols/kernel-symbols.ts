/**
 * Kernel symbols from `/proc/kallsyms`: the function that holds a kernel address, for the kernel
 * frames of a call chain.
 *
 * Each line is `ADDRESS TYPE NAME` for the kernel image and `ADDRESS TYPE NAME\t[MODULE]` for a
 * module (kernel/kallsyms.c prints them with `"%px %c %s\n"` and `"%px %c %s\t[%s]\n"`); BPF
 * programs and ftrace trampolines appear as the modules `bpf` and `__builtin__ftrace`. Only code
 * symbols name functions; data symbols still matter, as the places where code ends.
 */
import { readFileSync } from 'node:fs';
import { kernelErrorFrom } from '../errors.js';
import type { SymbolHit } from './frame.js';

/** The module name of a symbol in the kernel image, as perf prints it. */
const KERNEL_IMAGE = '[kernel]';

/**
 * How much a symbol with no known successor in its own module may cover: the rest of its page and
 * the next one, as perf does (`symbols__fixup_end`). kallsyms has no sizes, and a module's (or the
 * kernel's) last function is followed by unrelated memory; a page or two keeps a return address
 * in a long last function while refusing addresses far past it.
 */
const LAST_SYMBOL_PAGE = 4096;

/**
 * What a line's symbol is worth when several share an address; the highest wins, and among equals
 * the first line. Upper case (global, or exported from a module) beats lower case, as perf prefers
 * global symbols: `__x64_sys_rt_sigreturn` over the local `__do_sys_rt_sigreturn` it aliases.
 * Unlike perf, a weak `W` still beats a local `t`, being global. A boundary names no function.
 */
const RANK_BOUNDARY = 0;
/** A linker marker such as `__irqentry_text_start`: any real function at its address is better. */
const RANK_SECTION_MARKER = 1;
const RANK_LOCAL = 2;
const RANK_WEAK = 3;
const RANK_GLOBAL = 4;

/** Markers that name where a text section starts or ends, not a function. */
function isSectionMarker(name: string): boolean {
  // String tests, not a regular expression: half the kernel's names start with `_` (`__pfx_...`),
  // and a backtracking pattern over each of them took a quarter of the parse.
  return (
    name.endsWith('_text_start') ||
    name.endsWith('_text_end') ||
    name === '_text' ||
    name === '_stext' ||
    name === '_sinittext'
  );
}

/** Markers of the end of the kernel's text: they end the function before them and name nothing. */
const TEXT_END = new Set(['_etext', '_einittext']);

const CHAR_SPACE = 0x20;
const CHAR_TAB = 0x09;
const CHAR_CLOSE_BRACKET = 0x5d;
const CHAR_DOLLAR = 0x24;
const TWO_POW_32 = 2 ** 32;
const MAX_U64 = 2n ** 64n - 1n;

/** One 64-bit slot seen as two 32-bit halves, to split a BigInt address without BigInt arithmetic. */
const SCRATCH_U64 = new BigUint64Array(1);
const SCRATCH_U32 = new Uint32Array(SCRATCH_U64.buffer);
/** Which of the two halves holds the high 32 bits: the second on a little-endian host. */
const HIGH_HALF = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

/** Data types (initialized, bss, read-only; `v`/`V` weak objects, `g`/`s` small data): they end code. */
const DATA_TYPES = new Set(['d', 'D', 'b', 'B', 'r', 'R', 'v', 'V', 'g', 'G', 's', 'S']);

/**
 * The rank of a symbol of kallsyms type `type` named `name`; undefined for a line to skip:
 * absolute symbols (`a`, `A`) are numbers rather than places, and the rest is not in memory.
 */
function rankOf(type: string, name: string): number | undefined {
  switch (type) {
    case 'T':
    case 't':
    case 'W':
    case 'w':
      break;
    default:
      return DATA_TYPES.has(type) ? RANK_BOUNDARY : undefined;
  }
  if (name.startsWith('_')) {
    if (TEXT_END.has(name)) return RANK_BOUNDARY;
    if (isSectionMarker(name)) return RANK_SECTION_MARKER;
  }
  if (type === 'T') return RANK_GLOBAL;
  return type === 'W' ? RANK_WEAK : RANK_LOCAL;
}

/** The value of the hex digits `text[from, to)` (at most 8: it fits 32 bits), or -1 for a non-digit. */
function hexValue(text: string, from: number, to: number): number {
  let value = 0;
  for (let at = from; at < to; at++) {
    const code = text.charCodeAt(at);
    // Without slicing a string per address and handing it to parseInt: this runs 200k times.
    const digit =
      code >= 0x30 && code <= 0x39
        ? code - 0x30
        : code >= 0x61 && code <= 0x66
          ? code - 0x57
          : code >= 0x41 && code <= 0x46
            ? code - 0x37
            : -1;
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

/** The lines of a kallsyms text that matter, in file order, before sorting. */
interface ParsedLines {
  count: number;
  hi: Uint32Array;
  lo: Uint32Array;
  rank: Uint8Array;
  module: Uint32Array;
  /** The name of each code line ('' for a boundary, whose name is never shown). */
  names: string[];
  moduleNames: string[];
  sorted: boolean;
  allZero: boolean;
}

function parseLines(text: string): ParsedLines {
  let capacity = 1;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) capacity++;
  const lines: ParsedLines = {
    count: 0,
    hi: new Uint32Array(capacity),
    lo: new Uint32Array(capacity),
    rank: new Uint8Array(capacity),
    module: new Uint32Array(capacity),
    names: [],
    moduleNames: [KERNEL_IMAGE],
    sorted: true,
    allZero: true,
  };
  const moduleIndex = new Map<string, number>();
  let previousHi = 0;
  let previousLo = 0;
  for (let start = 0; start < text.length;) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const lineStart = start;
    start = end + 1;
    // `ADDRESS T NAME`: the type is one character between single spaces.
    const space = text.indexOf(' ', lineStart);
    if (space === -1 || space >= end - 3 || text.charCodeAt(space + 2) !== CHAR_SPACE) continue;
    const digits = space - lineStart;
    if (digits === 0 || digits > 16) continue;
    // Kernel addresses are >= 2^63 and a double holds 53 bits: split the hex into 32-bit halves.
    const cut = Math.max(lineStart, space - 8);
    const hi = hexValue(text, lineStart, cut);
    const lo = hexValue(text, cut, space);
    if (hi < 0 || lo < 0) continue;
    // ARM's `$a`/`$t`/`$d` mapping symbols mark instruction sets, not functions (perf skips them too).
    if (text.charCodeAt(space + 3) === CHAR_DOLLAR) continue;
    let nameEnd = end;
    let module = 0;
    if (text.charCodeAt(end - 1) === CHAR_CLOSE_BRACKET) {
      const open = text.lastIndexOf('[', end);
      if (open > space + 3 && text.charCodeAt(open - 1) === CHAR_TAB) {
        nameEnd = open - 1;
        const moduleName = text.slice(open + 1, end - 1);
        let index = moduleIndex.get(moduleName);
        if (index === undefined) {
          index = lines.moduleNames.push(moduleName) - 1;
          moduleIndex.set(moduleName, index);
        }
        module = index;
      }
    }
    const name = text.slice(space + 3, nameEnd);
    const rank = rankOf(text[space + 1]!, name);
    if (rank === undefined) continue;
    const at = lines.count++;
    lines.hi[at] = hi;
    lines.lo[at] = lo;
    lines.rank[at] = rank;
    lines.module[at] = module;
    lines.names.push(rank === RANK_BOUNDARY ? '' : name);
    if (hi !== 0 || lo !== 0) lines.allZero = false;
    if (hi < previousHi || (hi === previousHi && lo < previousLo)) lines.sorted = false;
    previousHi = hi;
    previousLo = lo;
  }
  return lines;
}

/**
 * Each distinct address of the first `count` lines once, ascending: the best code line there, or
 * `-1 - line` (negative) for an address that only ends code, with one of its lines.
 */
function bestPerAddress(lines: ParsedLines, count: number): { pointLine: Int32Array; points: number } {
  // Kernel lines come sorted; module lines follow in load order, each module in its own order.
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  if (!lines.sorted) {
    // The index as last key keeps equal addresses in file order, which "first wins" relies on.
    order.sort((a, b) => lines.hi[a]! - lines.hi[b]! || lines.lo[a]! - lines.lo[b]! || a - b);
  }
  const pointLine = new Int32Array(count);
  let points = 0;
  for (let i = 0; i < count;) {
    const first = order[i]!;
    const hi = lines.hi[first]!;
    const lo = lines.lo[first]!;
    let best = -1;
    let bestRank = RANK_BOUNDARY;
    for (; i < count && lines.hi[order[i]!] === hi && lines.lo[order[i]!] === lo; i++) {
      // Strictly greater: among equals, the first line keeps its place.
      if (lines.rank[order[i]!]! > bestRank) {
        best = order[i]!;
        bestRank = lines.rank[best]!;
      }
    }
    pointLine[points++] = best === -1 ? -1 - first : best;
  }
  return { pointLine, points };
}

/**
 * The kernel's code symbols, by address: `/proc/kallsyms` parsed once into sorted typed arrays,
 * searched by bisection.
 */
export class KernelSymbols {
  /**
   * True when kallsyms shows every address as zero (kptr_restrict, or a reader without
   * CAP_SYSLOG): nothing resolves, and kernel frames can only be printed as addresses.
   */
  readonly hidden: boolean;
  /** How many distinct function addresses resolve. */
  readonly size: number;

  // One entry per distinct function address, ascending. Addresses are kept as two Uint32 halves
  // rather than in a BigUint64Array: the search compares plain numbers, with no BigInt made per step.
  private readonly startHi: Uint32Array;
  private readonly startLo: Uint32Array;
  /** How many bytes from its start each symbol covers (to the next symbol, or a page or two). */
  private readonly length: Float64Array;
  private readonly names: string[];
  private readonly module: Uint32Array;
  private readonly moduleNames: string[];

  private constructor(lines: ParsedLines) {
    this.hidden = lines.count > 0 && lines.allZero;
    const count = this.hidden ? 0 : lines.count;
    const { pointLine, points } = bestPerAddress(lines, count);
    const lineOf = (point: number): number => {
      const value = pointLine[point]!;
      return value < 0 ? -1 - value : value;
    };
    let functions = 0;
    for (let p = 0; p < points; p++) if (pointLine[p]! >= 0) functions++;
    this.size = functions;
    this.startHi = new Uint32Array(functions);
    this.startLo = new Uint32Array(functions);
    this.length = new Float64Array(functions);
    this.module = new Uint32Array(functions);
    this.names = [];
    this.moduleNames = lines.moduleNames;
    for (let p = 0, f = 0; p < points; p++) {
      const line = pointLine[p]!;
      if (line < 0) continue;
      const hi = lines.hi[line]!;
      const lo = lines.lo[line]!;
      const module = lines.module[line]!;
      let length = Infinity;
      let nextModule = -1;
      if (p + 1 < points) {
        const next = lineOf(p + 1);
        length = (lines.hi[next]! - hi) * TWO_POW_32 + (lines.lo[next]! - lo);
        nextModule = lines.module[next]!;
      }
      if (nextModule !== module) {
        // Round (start + one page) up to a page boundary, as perf does.
        length = Math.min(length, LAST_SYMBOL_PAGE + ((LAST_SYMBOL_PAGE - (lo % LAST_SYMBOL_PAGE)) % LAST_SYMBOL_PAGE));
      }
      this.startHi[f] = hi;
      this.startLo[f] = lo;
      this.length[f] = length;
      this.module[f] = module;
      this.names.push(lines.names[line]!);
      f++;
    }
  }

  /**
   * Reads and parses `path` (by default `/proc/kallsyms`).
   *
   * @throws {KernelError} when the file cannot be read.
   */
  static read(path = '/proc/kallsyms'): KernelSymbols {
    let text: string;
    try {
      text = readFileSync(path, 'latin1'); // symbol names are ASCII; latin1 decodes fastest
    } catch (error) {
      throw kernelErrorFrom(error, `reading kernel symbols from ${path}`, {
        hint: 'kernel symbols need /proc/kallsyms (CONFIG_KALLSYMS); without it kernel frames print as addresses',
      });
    }
    return KernelSymbols.parse(text);
  }

  /** Parses the text of a kallsyms file (a fixture, or one read elsewhere). */
  static parse(text: string): KernelSymbols {
    return new KernelSymbols(parseLines(text));
  }

  /**
   * The function that holds `ip`: the code symbol with the greatest start at or below it, when
   * `ip` lies before that symbol's end (the next symbol, or a page or two past the last one of
   * the kernel or of a module). Undefined below the first symbol, in gaps and data, and when
   * {@link hidden}.
   */
  resolve(ip: bigint): SymbolHit | undefined {
    if (ip < 0n || ip > MAX_U64) return undefined;
    // Split through a shared 8-byte buffer: `ip >> 32n` and `ip & mask` each make a BigInt, and
    // cost several times the search itself.
    SCRATCH_U64[0] = ip;
    const hi = SCRATCH_U32[HIGH_HALF]!;
    const lo = SCRATCH_U32[1 - HIGH_HALF]!;
    const startHi = this.startHi;
    const startLo = this.startLo;
    // Bisect for the last start <= ip.
    let low = 0;
    let high = startHi.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const middleHi = startHi[middle]!;
      if (middleHi < hi || (middleHi === hi && startLo[middle]! <= lo)) low = middle + 1;
      else high = middle;
    }
    const found = low - 1;
    if (found < 0) return undefined;
    const offset = (hi - startHi[found]!) * TWO_POW_32 + (lo - startLo[found]!);
    if (offset >= this.length[found]!) return undefined;
    return { symbol: this.names[found]!, offset, module: this.moduleNames[this.module[found]!]! };
  }
}
