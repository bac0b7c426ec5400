/**
 * Errors raised while reading ELF files and resolving uprobe targets.
 *
 * Everything in `src/elf` reports problems through {@link ElfError} so callers
 * can branch on a stable `code` instead of parsing messages, while the message
 * itself is written for a person: what went wrong, and in `hint`, what to do about it.
 */
import { cutInput, PerfBridgeError } from '../errors.js';

/**
 * Stable identifiers for every failure mode of the ELF reader and resolver.
 *
 * - `FILE_NOT_FOUND`     – the path does not exist (ENOENT / ENOTDIR).
 * - `FILE_UNREADABLE`    – exists but cannot be read (permissions, directory, I/O).
 * - `NOT_ELF`            – no ELF magic (a script, a text file, random data…).
 * - `UNSUPPORTED_ELF`    – a valid ELF we do not handle (32-bit, big-endian,
 *                          relocatable object, core dump…).
 * - `CORRUPT_ELF`        – a header, table or string points outside the file
 *                          or is internally inconsistent (truncated download…).
 * - `SYMBOL_NOT_FOUND`   – no symbol by that name (suggestions attached).
 * - `STRIPPED`           – not in `.dynsym` and there is no `.symtab` to look in.
 * - `SYMBOL_UNDEFINED`   – the file only imports the symbol from a shared library.
 * - `SYMBOL_AMBIGUOUS`   – several definitions at different addresses.
 * - `SYMBOL_IS_IFUNC`    – a GNU indirect function; the address is its resolver.
 * - `NOT_A_FUNCTION`     – the symbol is data (or untyped), not code.
 * - `ADDRESS_NOT_MAPPED` – the symbol's address is not backed by file bytes.
 * - `OFFSET_OUT_OF_RANGE`– `+OFFS` lies beyond the end of the function, or a
 *                          file offset lies beyond the end of the file.
 * - `OFFSET_NOT_EXECUTABLE` – a file offset outside every executable segment
 *                          (data, headers, or no segment at all): nothing runs there.
 * - `INVALID_ARGUMENT`   – the caller passed a malformed symbol or offset.
 * - `LIBRARY_NOT_FOUND`  – a library name (`libc`, `libc.so.6`) that no searched
 *                          process maps and the ld.so cache does not list.
 * - `CORRUPT_LD_CACHE`   – `/etc/ld.so.cache` is in neither known layout.
 */
export type ElfErrorCode =
  | 'FILE_NOT_FOUND'
  | 'FILE_UNREADABLE'
  | 'NOT_ELF'
  | 'UNSUPPORTED_ELF'
  | 'CORRUPT_ELF'
  | 'SYMBOL_NOT_FOUND'
  | 'STRIPPED'
  | 'SYMBOL_UNDEFINED'
  | 'SYMBOL_AMBIGUOUS'
  | 'SYMBOL_IS_IFUNC'
  | 'NOT_A_FUNCTION'
  | 'ADDRESS_NOT_MAPPED'
  | 'OFFSET_OUT_OF_RANGE'
  | 'OFFSET_NOT_EXECUTABLE'
  | 'INVALID_ARGUMENT'
  | 'LIBRARY_NOT_FOUND'
  | 'CORRUPT_LD_CACHE';

// What to do, for errors raised without a more specific hint: every ElfError has one.
const DEFAULT_HINTS: Readonly<Record<ElfErrorCode, string>> = {
  FILE_NOT_FOUND: 'give the full path of the executable or shared library (e.g. from `which PROGRAM` or `ldd PROGRAM`)',
  FILE_UNREADABLE: 'give the path of an executable or shared library that this process can read',
  NOT_ELF: 'uprobes need a compiled executable or shared library',
  UNSUPPORTED_ELF: 'only 64-bit little-endian (x86_64) executables and shared libraries can be probed',
  CORRUPT_ELF:
    'check that the file was copied or downloaded completely (compare its size with the original), or rebuild it',
  SYMBOL_NOT_FOUND: '`nm --defined-only PATH` lists the functions that can be probed',
  STRIPPED: "use an unstripped build, install the file's debug symbols, or probe by file offset (PATH:0xOFFSET)",
  SYMBOL_UNDEFINED: 'probe the shared library that defines it (`ldd PATH` shows their full paths)',
  SYMBOL_AMBIGUOUS: 'name the symbol version you mean, or probe the one you mean by file offset',
  SYMBOL_IS_IFUNC: 'probe one of the implementations it selects instead (see `nm` for candidates)',
  NOT_A_FUNCTION: 'uprobes can only be placed on code: give a function name',
  ADDRESS_NOT_MAPPED: 'the file may be corrupt, or the symbol may not be code; probe another function',
  OFFSET_OUT_OF_RANGE: 'use an offset inside the function or file (e.g. from `objdump -d PATH`)',
  OFFSET_NOT_EXECUTABLE:
    'probe a function by name (PATH:SYMBOL), or an offset inside a segment with flags R E (`readelf -lW PATH`)',
  INVALID_ARGUMENT: 'write PATH:SYMBOL[+OFFS] with OFFS in decimal or 0x-hex, or PATH:OFFSET',
  LIBRARY_NOT_FOUND: 'give the full path of the library (`ldconfig -p` lists the installed ones)',
  CORRUPT_LD_CACHE: 'run `ldconfig` (as root) to rewrite /etc/ld.so.cache, or give the library by its full path',
};

/** Extra, machine-readable context attached to an {@link ElfError}. */
export interface ElfErrorDetails {
  /** The file the error is about, when there is one. */
  readonly path?: string | undefined;
  /** The symbol the caller asked for, when relevant. */
  readonly symbol?: string | undefined;
  /** Close symbol names offered to the user (SYMBOL_NOT_FOUND / STRIPPED). */
  readonly suggestions?: readonly string[] | undefined;
  /** Human-readable descriptions of competing definitions (SYMBOL_AMBIGUOUS). */
  readonly candidates?: readonly string[] | undefined;
  /** Shared libraries that may define an undefined symbol (SYMBOL_UNDEFINED). */
  readonly libraries?: readonly string[] | undefined;
  /** What to do about it (default: a hint for the error's code). */
  readonly hint?: string | undefined;
  /** The underlying error (an fs error, usually). */
  readonly cause?: unknown;
}

/**
 * The single error type thrown by `src/elf`, a {@link PerfBridgeError} like every error a
 * perf-bridge user can cause.
 *
 * One class with a `code` (rather than a class per failure) keeps `instanceof`
 * checks simple for callers and keeps the catalogue of failures in one union.
 */
export class ElfError extends PerfBridgeError {
  /** What kind of failure this is; stable across releases. */
  readonly code: ElfErrorCode;
  /** The file involved, if any. */
  readonly path: string | undefined;
  /** The symbol involved, if any. */
  readonly symbol: string | undefined;
  /** Close names offered in the message, if any. */
  readonly suggestions: readonly string[];
  /** Competing definitions listed in the message, if any. */
  readonly candidates: readonly string[];
  /** Libraries named in the message, if any. */
  readonly libraries: readonly string[];

  /**
   * @param code    the failure kind
   * @param message a complete, user-facing sentence (or several): what is wrong
   * @param details optional machine-readable context, and the hint (what to do)
   */
  constructor(code: ElfErrorCode, message: string, details: ElfErrorDetails = {}) {
    super(message, { hint: details.hint ?? DEFAULT_HINTS[code], cause: details.cause });
    this.code = code;
    this.path = details.path;
    this.symbol = details.symbol;
    this.suggestions = details.suggestions ?? [];
    this.candidates = details.candidates ?? [];
    this.libraries = details.libraries ?? [];
  }
}

/** True when `err` is an {@link ElfError}, optionally of the given code. */
export function isElfError(err: unknown, code?: ElfErrorCode): err is ElfError {
  return err instanceof ElfError && (code === undefined || err.code === code);
}

/**
 * Shorthand for the most common failure inside the parser: some offset or
 * size read from the file does not fit. `what` names the structure so the user
 * (or a bug report) can tell which part of the file is damaged.
 */
export function corrupt(path: string, what: string): ElfError {
  return new ElfError('CORRUPT_ELF', `${cutInput(path)}: truncated or corrupt ELF file: ${what}.`, { path });
}
