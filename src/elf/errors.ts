/**
 * Errors raised while reading ELF files and resolving uprobe targets.
 *
 * Everything in `src/elf` reports problems through {@link ElfError} so callers
 * can branch on a stable `code` instead of parsing messages, while the message
 * itself is written for a person: what went wrong and what to do about it.
 */

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
 * - `OFFSET_OUT_OF_RANGE`– `+OFFS` lies beyond the end of the function.
 * - `INVALID_ARGUMENT`   – the caller passed a malformed symbol or offset.
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
  | 'INVALID_ARGUMENT';

/** Extra, machine-readable context attached to an {@link ElfError}. */
export interface ElfErrorDetails {
  /** The file the error is about, when there is one. */
  path?: string;
  /** The symbol the caller asked for, when relevant. */
  symbol?: string;
  /** Close symbol names offered to the user (SYMBOL_NOT_FOUND / STRIPPED). */
  suggestions?: readonly string[];
  /** Human-readable descriptions of competing definitions (SYMBOL_AMBIGUOUS). */
  candidates?: readonly string[];
  /** Shared libraries that may define an undefined symbol (SYMBOL_UNDEFINED). */
  libraries?: readonly string[];
  /** The underlying error (an fs error, usually). */
  cause?: unknown;
}

/**
 * The single error type thrown by `src/elf`.
 *
 * One class with a `code` (rather than a class per failure) keeps `instanceof`
 * checks simple for callers and keeps the catalogue of failures in one union.
 */
export class ElfError extends Error {
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
   * @param message a complete, user-facing sentence (or several)
   * @param details optional machine-readable context
   */
  constructor(code: ElfErrorCode, message: string, details: ElfErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'ElfError';
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
  return new ElfError(
    'CORRUPT_ELF',
    `${path}: truncated or corrupt ELF file: ${what}. ` +
      'Check that the file was copied or downloaded completely (compare its size with the original) ' +
      'or rebuild it.',
    { path },
  );
}

/** Format an address or offset the way readelf and perf print them. */
export function hex(value: bigint | number): string {
  return '0x' + value.toString(16);
}
