/**
 * Interning decoded strings by their bytes. Text fields repeat (file names, commands, probe labels),
 * and making a JS string from bytes costs a call into the runtime (~70 ns for 16 bytes) where
 * finding bytes seen before and handing back the same string costs a few word compares. The key
 * is a field's whole byte span, so a hit returns exactly what decoding the span would.
 *
 * Bounded, and laid out for the memory system: a table of two-entry sets whose entries each fill
 * one 64-byte line (hash, length and the span's bytes), so a hit reads one or two adjacent lines
 * and the string's pointer. A span is kept the second time in a row it misses in its set (at once
 * while the set has room), in place of the entry of the set used less recently: strings that
 * never repeat (one in seven of the bench's uprobe labels) neither cost a copy nor push out the
 * ones that do. Spans longer than an entry holds are decoded every time.
 *
 * Measured on the uprobe bench's labels (1000 that repeat, one in seven unique): 1.6% of the
 * repeating ones miss, against 1.4% for a four-way LRU table that reads three lines per lookup.
 */
import { readText } from './field-readers.js';

/** Sizes of a {@link StringCache}. */
export interface StringCacheSize {
  /** Entries: a power of two, at least 2 (one set). */
  entries: number;
  /** The longest span kept, in bytes: a multiple of 4. */
  maxBytes: number;
}

/**
 * What the decoders share: 8192 entries of spans up to 52 bytes, 512 KiB (only the entries in use
 * are ever touched), and the strings they hold: at most ~1 MiB per process, kept for its life.
 */
export const DEFAULT_STRING_CACHE_SIZE: StringCacheSize = { entries: 8192, maxBytes: 52 };

/**
 * A hash of the `span` bytes at `from`: their length, and their first, middle and last words (the
 * bytes of a shorter span). Spans that differ only elsewhere collide, which costs a miss, never a
 * wrong string. Few operations, so that the lookup stays small enough for V8 to inline.
 */
export function spanHash(bytes: Uint8Array, view: DataView, from: number, span: number): number {
  const first = span < 4 ? tailWord(bytes, from, span) : view.getInt32(from, true);
  const middle = span < 8 ? 0 : view.getInt32(from + ((span >>> 1) & ~3), true);
  const last = span < 4 ? span : view.getInt32(from + span - 4, true) ^ span;
  const hash = Math.imul(first ^ ((middle << 7) | (middle >>> 25)) ^ Math.imul(last, 0x9e3779b1), 0x85ebca6b);
  return hash ^ (hash >>> 15);
}

/** The `count` (0 to 3) bytes at `from`, packed little-endian into a word. */
function tailWord(bytes: Uint8Array, from: number, count: number): number {
  let word = 0;
  for (let i = count - 1; i >= 0; i--) word = (word << 8) | bytes[from + i]!;
  return word;
}

/**
 * Words of an entry in the table: its hash, its span's length (0: empty), a word the set keeps in
 * its first entry (see SET), then the bytes: the words at 0, 4, 8, … that end before the span's
 * last four bytes, then those four bytes as one word, overlapping the word before it when the
 * length is not a multiple of 4 (one load, where packing the one to three bytes left takes a
 * loop); a span shorter than a word, packed (tailWord). With the span's length, they tell every
 * byte of it, in ⌈length / 4⌉ words.
 */
const HASH = 0;
const SPAN = 1;
const SET = 2;
const BYTES = 3;
/** In SET of a set's first entry: the hash of the last span that missed in the set without being kept. */
const CANDIDATE = SET;
/** In SET of a set's second entry: which entry of the set was used last (0 or 1). */
const LAST_USED = SET;

/** Decoded strings by their bytes, bounded; see the module comment. */
export class StringCache {
  /** Lookups that had to decode their bytes (not held, or too long to hold), modulo 2^30: for tests and tuning. */
  misses = 0;
  /** Selects a set (of two entries) from a hash. */
  private readonly setMask: number;
  private readonly maxBytes: number;
  /** Words per entry. */
  private readonly stride: number;
  /**
   * Each entry: HASH, SPAN, SET, then the span's bytes as little-endian words (see BYTES),
   * compared with the record's words as read from its view.
   */
  private readonly table: Int32Array;
  private readonly strings: string[];

  constructor(size: StringCacheSize = DEFAULT_STRING_CACHE_SIZE) {
    const { entries, maxBytes } = size;
    if (!Number.isInteger(entries) || entries < 2 || (entries & (entries - 1)) !== 0)
      throw new RangeError('entries: a power of two, at least 2');
    if (!Number.isInteger(maxBytes) || maxBytes < 4 || maxBytes % 4 !== 0) throw new RangeError('maxBytes: 4, 8, …');
    this.setMask = entries / 2 - 1;
    this.maxBytes = maxBytes;
    this.stride = BYTES + maxBytes / 4;
    this.table = new Int32Array(entries * this.stride);
    this.strings = new Array<string>(entries).fill('');
  }

  /**
   * Bytes [from, to) of `bytes` decoded as readText (field-readers.ts) decodes them (UTF-8 up to the first
   * NUL), the same string as before when these bytes were seen before. `view` is a DataView on the
   * same memory as `bytes`, with the same offsets.
   */
  text(bytes: Buffer, view: DataView, from: number, to: number): string {
    const span = to - from;
    if (span <= 0 || span > this.maxBytes) {
      if (span > 0) this.countMiss();
      return readText(bytes, view, from, to);
    }
    const hash = spanHash(bytes, view, from, span);
    const first = (hash & this.setMask) * 2;
    const table = this.table;
    // The two ways written out: a loop over them made a hit cost twice as much (V8 kept the loop).
    const at = first * this.stride;
    if (table[at + HASH] === hash && table[at + SPAN] === span && this.holds(at, bytes, view, from, span)) {
      table[at + this.stride + LAST_USED] = 0;
      return this.strings[first]!;
    }
    const next = at + this.stride;
    if (table[next + HASH] === hash && table[next + SPAN] === span && this.holds(next, bytes, view, from, span)) {
      table[next + LAST_USED] = 1;
      return this.strings[first + 1]!;
    }
    return this.miss(first, hash, bytes, view, from, span);
  }

  /** Counts a miss, wrapping at 2^30 so that the count stays a small integer (V8 keeps its field unboxed). */
  private countMiss(): void {
    this.misses = (this.misses + 1) & 0x3fffffff;
  }

  /** Whether the entry at word `at` holds the `span` bytes at `from` (laid out as BYTES says). */
  private holds(at: number, bytes: Uint8Array, view: DataView, from: number, span: number): boolean {
    const table = this.table;
    const words = at + BYTES;
    const last = (span - 1) >>> 2;
    for (let i = 0; i < last; i++) if (table[words + i] !== view.getInt32(from + 4 * i, true)) return false;
    return table[words + last] === (span < 4 ? tailWord(bytes, from, span) : view.getInt32(from + span - 4, true));
  }

  /**
   * Decodes a span that the set whose first entry is `first` does not hold, and keeps it there if
   * it was the set's last miss too, or the entry it would take is empty. Apart from text(), so
   * that the hit path stays small enough for V8 to inline into the decoders.
   */
  private miss(first: number, hash: number, bytes: Buffer, view: DataView, from: number, span: number): string {
    this.countMiss();
    const text = readText(bytes, view, from, from + span);
    const table = this.table;
    const stride = this.stride;
    const way = 1 - table[(first + 1) * stride + LAST_USED]!;
    const at = (first + way) * stride;
    if (table[at + SPAN] !== 0 && table[first * stride + CANDIDATE] !== hash) {
      table[first * stride + CANDIDATE] = hash;
      return text;
    }
    const last = (span - 1) >>> 2;
    for (let i = 0; i < last; i++) table[at + BYTES + i] = view.getInt32(from + 4 * i, true);
    table[at + BYTES + last] = span < 4 ? tailWord(bytes, from, span) : view.getInt32(from + span - 4, true);
    table[at + HASH] = hash;
    table[at + SPAN] = span;
    table[(first + 1) * stride + LAST_USED] = way;
    this.strings[first + way] = text;
    return text;
  }
}

/** The cache every compiled decoder shares (decoded strings are the same whoever asks). */
export const sharedStrings = new StringCache();
