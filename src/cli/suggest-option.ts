/** "Did you mean …?" for a mistyped option or command, on the ELF symbol suggester's ranking. */
import { suggestNames } from '../elf/suggest.js';
import type { OptionSpec } from './args/options.js';

/**
 * The nearest of `names` to `query`, or undefined when none is close. A name equal to the query
 * counts (`-count` means `--count`); swapped letters (`trcae`) are one edit.
 */
export function nearestName(query: string, names: readonly string[]): string | undefined {
  if (names.includes(query)) return query;
  return suggestNames(query, names, 1)[0];
}

/** ` (did you mean X?)` with the nearest of `names`, or '' when none is close. */
export function didYouMean(query: string, names: readonly string[]): string {
  const nearest = nearestName(query, names);
  return nearest === undefined ? '' : ` (did you mean ${nearest}?)`;
}

/**
 * The nearest valid option to `written` (`--formt`, `-P`, `-count`), as the user should write it.
 * A single dash before a word is taken for a long option missing a dash.
 */
export function nearestOption(written: string, options: readonly OptionSpec[]): string | undefined {
  const bare = written.replace(/^--?/, '').replace(/=.*$/s, '');
  if (!written.startsWith('--') && bare.length === 1) {
    // Any two letters are one edit apart: only the same letter in the other case is a likely typo.
    const short = options.find((option) => option.short?.toLowerCase() === bare.toLowerCase())?.short;
    return short === undefined ? undefined : `-${short}`;
  }
  const long = nearestName(
    bare,
    options.map((option) => option.long),
  );
  return long === undefined ? undefined : `--${long}`;
}
