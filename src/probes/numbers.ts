/**
 * Numbers as the kernel's probe parser reads them, and as the printer writes them.
 *
 * The kernel parses with kstrtoul()/kstrtol() in base 0: `0x`/`0X` means hex,
 * a leading `0` means octal, anything else decimal. We accept exactly that,
 * and print one canonical spelling per field so that print(parse(text)) is
 * stable.
 */

/** 2^64 - 1: the largest unsigned long on a 64-bit kernel. */
export const U64_MAX = (1n << 64n) - 1n;
/** 2^63 - 1: the largest long. */
export const S64_MAX = (1n << 63n) - 1n;
/** -2^63: the smallest long. */
export const S64_MIN = -(1n << 63n);

/**
 * Parses an unsigned integer in kstrtoul() base-0 syntax (optional leading
 * `+`); returns undefined when the text is not exactly one such number.
 */
export function parseKernelUnsigned(text: string): bigint | undefined {
  const body = text.startsWith('+') ? text.slice(1) : text;
  let value: bigint;
  if (/^0[xX][0-9a-fA-F]+$/.test(body)) value = BigInt(`0x${body.slice(2)}`);
  else if (/^0[0-7]*$/.test(body)) value = body.length > 1 ? BigInt(`0o${body.slice(1)}`) : 0n;
  else if (/^[1-9][0-9]*$/.test(body)) value = BigInt(body);
  else return undefined;
  return value <= U64_MAX ? value : undefined;
}

/** Parses a signed integer in kstrtol() base-0 syntax; undefined when invalid or out of range. */
export function parseKernelSigned(text: string): bigint | undefined {
  const negative = text.startsWith('-');
  const magnitude = parseKernelUnsigned(negative ? text.slice(1) : text);
  if (magnitude === undefined || (negative && text.slice(1).startsWith('+'))) return undefined;
  const value = negative ? -magnitude : magnitude;
  return value >= S64_MIN && value <= S64_MAX ? value : undefined;
}

/** Parses decimal digits only (kstrtoul base 10, used for `$stackN` and `$argN`). */
export function parseDecimal(text: string): bigint | undefined {
  return /^[0-9]+$/.test(text) ? BigInt(text) : undefined;
}

/** Converts to a JS number when exactly representable, else undefined. */
export function toSafeInteger(value: bigint | undefined): number | undefined {
  if (value === undefined) return undefined;
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
    ? Number(value)
    : undefined;
}

/** True for a safe, non-negative integer. */
export function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
