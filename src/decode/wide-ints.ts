/**
 * Reading 64-bit integers as bigints, the costliest values of a record after strings. V8 turns an
 * element load of a BigUint64Array into inline code, where DataView.getBigUint64 costs half as
 * much again (~11 against ~17 ns per value in a microbenchmark on the 2-core bench machine), so
 * aligned values are read through typed-array views of the batch's memory. And a field that
 * holds the same value record after record (a probe's address) gets the same bigint back.
 */
import { endianness } from 'node:os';

/** Typed arrays read in the host's byte order: the fast path is right only where that is little-endian. */
const LITTLE_ENDIAN = endianness() === 'LE';

/** Past this byte offset, element indexes would leave the 32-bit range the fast path relies on. */
const MAX_INDEXED = 0x7ffffff8;

/** Bigints from 8-byte little-endian integers of the buffers it is handed; see the module comment. */
export class WideReader {
  /** The buffer the views were made for (its `.buffer` costs a runtime call: compared by identity). */
  private bytes: Uint8Array | undefined;
  /** Its offset in its memory. */
  private base = 0;
  private unsigned: BigUint64Array = new BigUint64Array(0);
  private signed: BigInt64Array = new BigInt64Array(0);

  /** The u64 at byte `at` of `bytes`; `view` is a DataView on the same memory with the same offsets. */
  u64(bytes: Uint8Array, view: DataView, at: number): bigint {
    if (bytes !== this.bytes) this.bind(bytes);
    const absolute = this.base + at;
    if ((absolute & 7) !== 0 || absolute > MAX_INDEXED) return view.getBigUint64(at, true);
    // Undefined on a big-endian host, or past the end of a buffer that was detached (the view then throws).
    return this.unsigned[absolute >>> 3] ?? view.getBigUint64(at, true);
  }

  /** The s64 at byte `at` of `bytes` (see {@link u64}). */
  s64(bytes: Uint8Array, view: DataView, at: number): bigint {
    if (bytes !== this.bytes) this.bind(bytes);
    const absolute = this.base + at;
    if ((absolute & 7) !== 0 || absolute > MAX_INDEXED) return view.getBigInt64(at, true);
    return this.signed[absolute >>> 3] ?? view.getBigInt64(at, true);
  }

  /** Views `bytes`' memory (empty views on a big-endian host: every read then takes the DataView). */
  private bind(bytes: Uint8Array): void {
    const memory = bytes.buffer;
    const words = LITTLE_ENDIAN ? Math.floor(memory.byteLength / 8) : 0;
    this.unsigned = new BigUint64Array(memory, 0, words);
    this.signed = new BigInt64Array(memory, 0, words);
    this.base = bytes.byteOffset;
    this.bytes = bytes;
  }
}

/**
 * One 64-bit field of one event: the bigint of the last record, handed out again while the field's
 * bytes stay the same (bigints are immutable values, so sharing one is invisible).
 */
export class WideField {
  private low = 0;
  private high = 0;
  private value: bigint;

  constructor(
    private readonly reader: WideReader,
    private readonly isSigned: boolean,
  ) {
    this.value = 0n;
  }

  /** The field's value in the record whose field lies at byte `at` of `bytes` (and of `view`). */
  read(bytes: Uint8Array, view: DataView, at: number): bigint {
    const low = view.getUint32(at, true);
    const high = view.getUint32(at + 4, true);
    return low === this.low && high === this.high ? this.value : this.fresh(bytes, view, at, low, high);
  }

  /** A value other than the last one (apart, so that read() stays small enough to inline). */
  private fresh(bytes: Uint8Array, view: DataView, at: number, low: number, high: number): bigint {
    const value = this.isSigned ? this.reader.s64(bytes, view, at) : this.reader.u64(bytes, view, at);
    this.low = low;
    this.high = high;
    this.value = value;
    return value;
  }
}
