/**
 * The characters a line of a tracefs probe file cannot carry, and how error messages name them.
 * A control character could end the line and start another command; the checks of the whole text
 * (validate.ts) and of one token in it (validate-location.ts) share these.
 */

/** True for C0 controls, DEL, C1 controls and the Unicode line and paragraph separators. */
export function isControlCharacter(c: string): boolean {
  const code = c.codePointAt(0) ?? 0;
  return code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029;
}

/** How a message names character `c`: `a newline`, `'#'`, or its code point as `U+0007`. */
export function describeCharacter(c: string): string {
  const names: Record<string, string> = {
    '\n': 'a newline',
    '\r': 'a carriage return',
    '\t': 'a tab',
    ' ': 'a space',
    '#': "'#'",
    '\0': 'a NUL byte',
  };
  return names[c] ?? `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}
