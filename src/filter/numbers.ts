/**
 * Numbers as the filter parser reads them: `kstrtoull(text, 0)` for unsigned fields and
 * `kstrtoll(text, 0)` for signed ones (lib/kstrtox.c): decimal, `0x` hex, `0` octal, a `-` only
 * for signed fields, nothing else in the text, and a range of 64 bits.
 */

/** `parse_pred` copies a number into a 24-byte buffer: the text must be shorter. */
export const MAX_NUMBER_LENGTH = 23;

const U64_MAX = (1n << 64n) - 1n;
const S64_MAX = (1n << 63n) - 1n;

/** A number the kernel took, or why it refused it. */
export type KernelInteger = { ok: true; value: bigint } | { ok: false; reason: string };

/** Reads `text` as the kernel does for a field of the given signedness. */
export function parseKernelInteger(text: string, signed: boolean): KernelInteger {
  if (text.length > MAX_NUMBER_LENGTH) {
    return { ok: false, reason: `the number is ${text.length} characters long; the kernel takes at most 23` };
  }
  if (text.startsWith('-')) {
    if (!signed) return { ok: false, reason: 'a negative number, for an unsigned field' };
    const magnitude = parseUnsigned(text.slice(1));
    if (typeof magnitude === 'string') return { ok: false, reason: magnitude };
    if (magnitude > S64_MAX + 1n) return { ok: false, reason: 'the number is below the 64-bit signed range' };
    return { ok: true, value: -magnitude };
  }
  const value = parseUnsigned(text);
  if (typeof value === 'string') return { ok: false, reason: value };
  if (signed && value > S64_MAX) {
    return { ok: false, reason: 'the number is above the 64-bit signed range (the field is signed)' };
  }
  return { ok: true, value };
}

/**
 * `_kstrtoull(text, 0)`: the radix from the prefix (`0x` followed by a hex digit: 16; `0`: 8;
 * else 10), then digits of that radix to the end. Returns why not as a string.
 */
function parseUnsigned(text: string): bigint | string {
  let radix = 10;
  let digits = text;
  if (text.startsWith('0')) {
    if ((text[1] === 'x' || text[1] === 'X') && text[2] !== undefined && /[0-9a-fA-F]/.test(text[2])) {
      radix = 16;
      digits = text.slice(2);
    } else {
      radix = 8;
    }
  }
  if (digits === '') return 'not a number';
  let value = 0n;
  for (const c of digits) {
    const digit = Number.parseInt(c, 36);
    if (Number.isNaN(digit) || digit >= radix || !/[0-9a-fA-F]/.test(c)) {
      return radix === 8 && /[0-9]/.test(c)
        ? `'${c}' is no octal digit (a number starting with 0 is octal)`
        : `'${text}' is not a valid ${radixName(radix)} number`;
    }
    value = value * BigInt(radix) + BigInt(digit);
    if (value > U64_MAX) return 'the number does not fit in 64 bits';
  }
  return value;
}

function radixName(radix: number): string {
  return radix === 16 ? 'hexadecimal' : radix === 8 ? 'octal' : 'decimal';
}

/**
 * Whether `value` fits a field of `size` bytes. The kernel keeps the 64-bit value and compares
 * only the field's width, so a wider value would silently compare its low bits; a signed field
 * takes its bit patterns too (`0xffffffff` for an `int`).
 */
export function fitsField(value: bigint, size: number, signed: boolean): boolean {
  if (size >= 8) return true;
  const bits = BigInt(size * 8);
  const min = signed ? -(1n << (bits - 1n)) : 0n;
  return value >= min && value <= (1n << bits) - 1n;
}

/** `value` as the unsigned bit pattern of a `size`-byte field (`-100`, 8 → `0xffffffffffffff9c`). */
export function unsignedPattern(value: bigint, size: number): string {
  return `0x${BigInt.asUintN(size * 8, value).toString(16)}`;
}
