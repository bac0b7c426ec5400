/**
 * Serialized thread names, cached: a batch's `comm` column repeats a few names thousands of times,
 * so each name is escaped and encoded once, then copied as bytes.
 */

/** Names kept at most; the cache starts over when full (names of short-lived processes churn). */
const MAX_NAMES = 4096;

/**
 * A name's bytes as one output format writes them, as little-endian 32-bit words: word 0 is the
 * byte length, then the bytes four per word (the last padded with zeros), so that they are
 * copied with one store per four bytes. The padding is written too: the row's next part
 * overwrites it, and the writer's bound leaves room for it (commBytesBound).
 */
export class NameBytes {
  private readonly cache = new Map<string, Uint32Array>();

  /** `serialize` gives a name as the format writes it (quoted, escaped, padded). */
  constructor(private readonly serialize: (name: string) => string) {}

  /** The UTF-8 bytes of `name` serialized, as words (see the class comment). */
  wordsOf(name: string): Uint32Array {
    let words = this.cache.get(name);
    if (words === undefined) {
      if (this.cache.size >= MAX_NAMES) this.cache.clear();
      const bytes = Buffer.from(this.serialize(name), 'utf8');
      const padded = Buffer.alloc(4 + Math.ceil(bytes.length / 4) * 4);
      padded.writeUInt32LE(bytes.length, 0);
      bytes.copy(padded, 4);
      words = new Uint32Array(padded.buffer, padded.byteOffset, padded.length / 4);
      this.cache.set(name, words);
    }
    return words;
  }
}
