/**
 * Bounds-checked access to the bytes of an ELF file.
 *
 * Every offset and size in an ELF file is data we do not control: a truncated
 * or corrupt file must produce an {@link ElfError}, never a RangeError from
 * Buffer or an attempt to allocate gigabytes. All reads in `src/elf` go through
 * {@link ByteSource} (file regions) and {@link ByteView} (fields inside a
 * region), which check bounds and report *what* was being read.
 */
import { closeSync, fstatSync, openSync, readSync, constants as fsConstants } from 'node:fs';
import { constants as bufferConstants } from 'node:buffer';
import { corrupt, ElfError } from './errors.js';
import { hex } from '../hex.js';
import { cutInput } from '../errors.js';

/**
 * Where file bytes come from. A Buffer for in-memory parsing (tests, callers
 * that already hold the file), or an open file descriptor so that large
 * binaries with debug info are not read whole just to find a symbol table.
 */
export interface ByteSource {
  /** Name used in error messages (normally the file path). */
  readonly path: string;
  /** Total size of the file in bytes. */
  readonly size: number;
  /**
   * Bytes `[offset, offset + length)` of the file as a bounds-checked view.
   * Throws CORRUPT_ELF when the range is not entirely inside the file.
   */
  read(offset: bigint | number, length: bigint | number, what: string): ByteView;
  /** Release the underlying resource (no-op for Buffers). Idempotent. */
  close(): void;
}

/** Convert a file-supplied u64 to a safe JS number, or fail as corrupt. */
export function toSafeNumber(value: bigint | number, path: string, what: string): number {
  const n = typeof value === 'bigint' ? value : BigInt(value);
  if (n < 0n || n > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw corrupt(path, `${what} has an impossible value ${hex(n)}`);
  }
  return Number(n);
}

/** Check that `[offset, offset+length)` lies in a file of `size` bytes. */
function checkRange(
  path: string,
  size: number,
  offset: bigint | number,
  length: bigint | number,
  what: string,
): [number, number] {
  const off = BigInt(offset);
  const len = BigInt(length);
  if (off < 0n || len < 0n || off + len > BigInt(size)) {
    throw corrupt(
      path,
      `${what} (${len} bytes at file offset ${hex(off)}) extends past the end of the file (${size} bytes)`,
    );
  }
  return [Number(off), Number(len)];
}

/** A {@link ByteSource} over bytes already in memory. */
export class BufferSource implements ByteSource {
  readonly size: number;

  /**
   * @param buf  the whole file
   * @param path name used in error messages
   */
  constructor(
    private readonly buf: Buffer,
    readonly path = '<buffer>',
  ) {
    this.size = buf.length;
  }

  /** Zero-copy view of a range (subarray shares memory with the file Buffer). */
  read(offset: bigint | number, length: bigint | number, what: string): ByteView {
    const [off, len] = checkRange(this.path, this.size, offset, length, what);
    return new ByteView(this.buf.subarray(off, off + len), off, what, this.path);
  }

  /** Nothing to release: a Buffer holds no descriptor. */
  close(): void {
    // Present because every ByteSource is closed after use, whatever it reads from.
  }
}

/**
 * Which version of a file we read: if any of these change, the file may have
 * been rebuilt or replaced (a package upgrade renames a new inode into place),
 * so anything parsed from it is stale.
 */
export interface FileIdentity {
  /** Device holding the file. */
  readonly dev: bigint;
  /** Inode number: changes when a file is replaced by rename. */
  readonly ino: bigint;
  /** Size in bytes. */
  readonly size: bigint;
  /** Modification time in nanoseconds. */
  readonly mtimeNs: bigint;
  /** Status-change time in nanoseconds: catches writes that restore mtime. */
  readonly ctimeNs: bigint;
}

/** True when two identities describe the same file contents. */
export function sameIdentity(a: FileIdentity, b: FileIdentity): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

/**
 * A {@link ByteSource} over an open file descriptor, reading only the ranges
 * asked for, so large binaries with debug info are not loaded whole. The
 * descriptor is owned by the source and closed by `close()`.
 */
export class FileSource implements ByteSource {
  private fd: number | undefined;

  /**
   * @param fd       an open, readable descriptor (ownership is transferred)
   * @param size     the file size from fstat, which bounds every read
   * @param path     name used in error messages
   * @param identity what fstat said about the descriptor, for caching
   */
  constructor(
    fd: number,
    readonly size: number,
    readonly path: string,
    readonly identity?: FileIdentity,
  ) {
    this.fd = fd;
  }

  /**
   * Open `path`. Only regular files are accepted, and opening is non-blocking
   * so a FIFO or device cannot hang us. fs errors become ElfErrors that say
   * what to do.
   */
  static open(path: string): FileSource {
    let fd: number;
    try {
      fd = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
    } catch (err) {
      throw fsError(path, err);
    }
    try {
      const st = fstatSync(fd, { bigint: true });
      if (!st.isFile()) {
        const kind = st.isDirectory() ? 'a directory' : 'not a regular file';
        throw new ElfError('FILE_UNREADABLE', `${cutInput(path)} is ${kind}.`, {
          path,
          hint: 'give the path of an executable or shared library',
        });
      }
      const identity = { dev: st.dev, ino: st.ino, size: st.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs };
      return new FileSource(fd, toSafeNumber(st.size, path, 'the file size'), path, identity);
    } catch (err) {
      try {
        closeSync(fd);
      } catch {
        // Already reporting a more useful error.
      }
      throw err;
    }
  }

  /** Read a range with positioned reads; a short read means the file shrank. */
  read(offset: bigint | number, length: bigint | number, what: string): ByteView {
    const [off, len] = checkRange(this.path, this.size, offset, length, what);
    if (this.fd === undefined) {
      throw new Error(`internal error: reading ${what} from ${this.path} after close`);
    }
    if (len > bufferConstants.MAX_LENGTH) {
      const problem = `${cutInput(this.path)}: ${what} is ${len} bytes, too large to load into memory.`;
      throw new ElfError('UNSUPPORTED_ELF', problem, {
        path: this.path,
        hint: 'the file is probably corrupt; probe a regular executable or shared library',
      });
    }
    const buf = Buffer.allocUnsafe(len);
    let done = 0;
    while (done < len) {
      const n = readSync(this.fd, buf, done, len - done, off + done);
      if (n === 0) {
        // The file changed under us (truncated while we read it).
        throw corrupt(this.path, `${what}: the file ended after ${off + done} bytes while reading it`);
      }
      done += n;
    }
    return new ByteView(buf, off, what, this.path);
  }

  /** Close the descriptor; safe to call more than once. */
  close(): void {
    if (this.fd !== undefined) {
      const fd = this.fd;
      this.fd = undefined;
      closeSync(fd);
    }
  }
}

/**
 * Little-endian field access inside one region of the file. Offsets are
 * relative to the region; `fileOffset` is kept only for error messages.
 */
export class ByteView {
  /**
   * @param bytes      the region's bytes
   * @param fileOffset where the region starts in the file
   * @param label      what the region is (".symtab", "program headers"…)
   * @param path       the file, for error messages
   */
  constructor(
    readonly bytes: Buffer,
    readonly fileOffset: number,
    readonly label: string,
    readonly path: string,
  ) {}

  /** Length of the region in bytes. */
  get length(): number {
    return this.bytes.length;
  }

  private check(off: number, n: number, what: string): void {
    if (!(off >= 0 && off + n <= this.bytes.length)) {
      throw corrupt(
        this.path,
        `${what} (${n} bytes at offset ${hex(off)} of ${this.label}, file offset ${hex(this.fileOffset + off)}) ` +
          `lies outside ${this.label} (${this.bytes.length} bytes)`,
      );
    }
  }

  /** Unsigned 8-bit value. */
  u8(off: number, what: string): number {
    this.check(off, 1, what);
    return this.bytes[off]!;
  }

  /** Unsigned 16-bit little-endian value. */
  u16(off: number, what: string): number {
    this.check(off, 2, what);
    return this.bytes.readUInt16LE(off);
  }

  /** Unsigned 32-bit little-endian value. */
  u32(off: number, what: string): number {
    this.check(off, 4, what);
    return this.bytes.readUInt32LE(off);
  }

  /** Unsigned 64-bit little-endian value (bigint: addresses may exceed 2^53). */
  u64(off: number, what: string): bigint {
    this.check(off, 8, what);
    return this.bytes.readBigUInt64LE(off);
  }

  /** The rest of this region from `off` on, as its own view (for nested records). */
  from(off: number, what: string): ByteView {
    this.check(off, 0, what);
    return new ByteView(this.bytes.subarray(off), this.fileOffset + off, this.label, this.path);
  }

  /**
   * NUL-terminated string starting at `off`. The terminator must be inside
   * the region: scanning is limited to the region so a corrupt table cannot
   * make us scan (or decode) the rest of the file.
   */
  cstr(off: number, what: string): string {
    this.check(off, 1, what);
    const end = this.bytes.indexOf(0, off);
    if (end < 0) {
      throw corrupt(this.path, `${what} at offset ${hex(off)} of ${this.label} is not NUL-terminated`);
    }
    return this.bytes.toString('utf8', off, end);
  }
}

/** Translate an fs error from opening `path` into an actionable ElfError. */
function fsError(path: string, err: unknown): ElfError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const shown = cutInput(path);
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new ElfError('FILE_NOT_FOUND', `${shown}: no such file.`, {
      path,
      cause: err,
      hint: 'give the full path of the executable or shared library (e.g. from `which PROGRAM` or `ldd PROGRAM`)',
    });
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new ElfError('FILE_UNREADABLE', `${shown}: permission denied.`, {
      path,
      cause: err,
      hint: 'run with permission to read the file (uprobes need root anyway)',
    });
  }
  const msg = err instanceof Error ? err.message : String(err);
  return new ElfError('FILE_UNREADABLE', `${shown}: cannot open the file (${msg}).`, { path, cause: err });
}
