/**
 * How the kernel reads the pattern of `field ~ "pattern"` (`filter_parse_regex` in
 * kernel/trace/trace_events_filter.c, the same from 6.1 to 6.18): a leading `!` negates it; a `*`
 * at either end is a prefix, suffix or substring match; a `*` inside, `?`, `[` or `\` make it a
 * full glob (lib/glob.c). A pattern whose first character (after `!`) is a digit is taken as an
 * index of the ftrace function filter instead and compared as a literal string, `*` and all.
 */

/** How the kernel compares a `~` pattern. */
export type PatternMatch = 'full' | 'front' | 'middle' | 'end' | 'glob' | 'literal-index';

/** A `~` pattern as the kernel reads it. */
export interface GlobPattern {
  /** The pattern started with `!`: the predicate matches when the rest does not. */
  readonly negated: boolean;
  /** The pattern without its `!`. */
  readonly body: string;
  readonly match: PatternMatch;
}

const GLOB_CHARACTERS = /[*?[\\]/;

/** Classifies `pattern` like `filter_parse_regex`. */
export function classifyPattern(pattern: string): GlobPattern {
  const negated = pattern.startsWith('!');
  const body = negated ? pattern.slice(1) : pattern;
  if (/^[0-9]/.test(body)) return { negated, body, match: 'literal-index' };
  let match: PatternMatch = 'full';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '*') {
      if (i === 0) match = 'end';
      else if (i === body.length - 1) return { negated, body, match: match === 'end' ? 'middle' : 'front' };
      else return { negated, body, match: 'glob' };
    } else if (c === '?' || c === '[' || c === '\\') {
      return { negated, body, match: 'glob' };
    }
  }
  return { negated, body, match };
}

/**
 * True when the kernel would compare `pattern` literally although it reads as a glob: it starts
 * with a digit and has glob characters, which would then match only themselves.
 */
export function isLiteralDigitGlob(pattern: GlobPattern): boolean {
  return pattern.match === 'literal-index' && GLOB_CHARACTERS.test(pattern.body);
}

/**
 * The same glob written so the kernel reads it as one: its leading digit in a bracket (`1*` →
 * `[1]*`), with the `!` kept.
 */
export function bracketLeadingDigit(pattern: GlobPattern): string {
  return `${pattern.negated ? '!' : ''}[${pattern.body[0] ?? ''}]${pattern.body.slice(1)}`;
}
