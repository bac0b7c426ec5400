/** Plain-text tables with aligned columns: numbers to the right, text to the left. */

const INTEGER = /^-?\d+$/;

/**
 * `header` and `rows` as lines each ending in '\n', columns two spaces apart. A column whose every
 * cell is an integer (or `-`) is right-aligned, any other to the left; the last column's trailing
 * spaces are dropped.
 */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  // A loop, not Math.max(...cells): a table of 100 000 keys would overflow the stack.
  const widths = header.map((title, c) => rows.reduce((width, row) => Math.max(width, row[c]!.length), title.length));
  const numeric = header.map((_, c) => rows.length > 0 && rows.every((row) => INTEGER.test(row[c]!) || row[c] === '-'));
  const line = (cells: readonly string[]) =>
    `${cells
      .map((cell, c) => (numeric[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd()}\n`;
  return [header, ...rows].map(line).join('');
}

/** A key tuple prepared for sorting: each part as a bigint when it is an integer, else its text. */
export type SortKey = readonly (bigint | string)[];

/** `parts` prepared once for {@link compareKeys} (parsing an integer per comparison would dominate a sort). */
export function sortKey(parts: readonly string[]): SortKey {
  return parts.map((part) => (INTEGER.test(part) ? BigInt(part) : part));
}

/**
 * Orders key tuples part by part: integers by value (9 before 10, -3 before 2), integers before
 * text, text by code unit.
 */
export function compareKeys(a: SortKey, b: SortKey): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    if (typeof x !== typeof y) return typeof x === 'bigint' ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return 0;
}
