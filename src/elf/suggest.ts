/**
 * "Did you mean …?" suggestions for names that were not found: ELF symbols, options, events.
 *
 * Typos (`malocc`), missing prefixes (`libc_malloc` vs `__libc_malloc`) and
 * partial names (`pb_ad`) are the usual reasons a lookup fails, so candidates
 * are ranked: same name in another case, then small edit distance, then
 * prefix relations, then substring matches.
 */

/** How many suggestions an error message lists by default. */
export const DEFAULT_SUGGESTION_LIMIT = 5;

/**
 * Pick up to `limit` names from `names` that are close to `query`.
 * Runs in roughly O(names) for typical symbol tables: the edit distance is
 * only computed when lengths are close, and it stops early past the threshold.
 */
export function suggestNames(query: string, names: Iterable<string>, limit = DEFAULT_SUGGESTION_LIMIT): string[] {
  if (query.length === 0 || limit <= 0) return [];
  const q = query.toLowerCase();
  // Allow roughly one typo per three characters, at least one.
  const maxDistance = Math.max(1, Math.floor(q.length / 3));
  const scored = new Map<string, [tier: number, metric: number]>();
  for (const name of names) {
    if (name === query || scored.has(name)) continue;
    const n = name.toLowerCase();
    let score: [number, number] | undefined;
    if (n === q) {
      score = [0, 0];
    } else {
      const d = boundedLevenshtein(q, n, maxDistance);
      if (d <= maxDistance) score = [1, d];
      else if (q.length >= 3 && n.length >= 3 && (n.startsWith(q) || q.startsWith(n)))
        score = [2, Math.abs(n.length - q.length)];
      else if (q.length >= 3 && n.includes(q)) score = [3, n.length - q.length];
    }
    if (score) scored.set(name, score);
  }
  return [...scored.entries()]
    .sort(([a, [ta, ma]], [b, [tb, mb]]) => ta - tb || ma - mb || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, limit)
    .map(([name]) => name);
}

/**
 * Edit distance between `a` and `b`, counting a swap of two adjacent characters as one edit
 * (`valeu`, `trcae`: the commonest typo, which plain Levenshtein counts as two), or any value
 * greater than `max` as soon as the distance is known to exceed it (keeps the cost bounded on
 * tables with tens of thousands of long C++ names).
 */
export function boundedLevenshtein(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  // Three rows: the swap looks two rows back.
  let before = new Array<number>(b.length + 1).fill(0);
  let prev = new Array<number>(b.length + 1);
  let curr = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    curr[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const ai = a.charCodeAt(i - 1);
      const bj = b.charCodeAt(j - 1);
      let v = Math.min(prev[j]! + 1, curr[j - 1]! + 1, prev[j - 1]! + (ai === bj ? 0 : 1));
      if (i > 1 && j > 1 && ai === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === bj)
        v = Math.min(v, before[j - 2]! + 1);
      curr[j] = v;
      if (v < rowMin) rowMin = v;
    }
    // Later rows cannot fall back to max: a swap reaches two rows back, but the row before this
    // one was at least max too (this row is at most one more than its minimum).
    if (rowMin > max) return max + 1;
    [before, prev, curr] = [prev, curr, before];
  }
  const distance = prev[b.length]!;
  return distance > max ? max + 1 : distance;
}
