/** The error an aggregation raises for a key, field or event it cannot aggregate. */
import { PerfBridgeError, quoteInput } from '../errors.js';
import { boundedLevenshtein, suggestNames } from '../elf/suggest.js';

/**
 * A key, field or event an aggregation cannot use: unknown, of a type it cannot aggregate, or
 * missing from some traced events. The message names it; the hint says what is valid.
 */
export class AggregationError extends PerfBridgeError {
  /** Always `BAD_AGGREGATION`. */
  readonly code = 'BAD_AGGREGATION';
  /** The key, field or event at fault, as given. */
  readonly subject: string;
  constructor(message: string, fields: { subject: string; hint: string }) {
    super(message, { hint: fields.hint });
    this.subject = fields.subject;
  }
}

/**
 * "did you mean 'x'? " when a valid name is close to `given`, else the empty string. Beyond the
 * ranking of {@link suggestNames} (one typo per three characters), a short name with a swapped
 * pair (`valeu`) still finds its match: up to half its length in edits.
 */
export function didYouMean(given: string, valid: Iterable<string>): string {
  const names = [...valid];
  const nearest = suggestNames(given, names, 1)[0] ?? closest(given, names);
  return nearest === undefined ? '' : `did you mean '${nearest}'? `;
}

function closest(given: string, names: readonly string[]): string | undefined {
  const limit = Math.max(2, Math.floor(given.length / 2));
  let best: { name: string; distance: number } | undefined;
  for (const name of names) {
    const distance = boundedLevenshtein(given.toLowerCase(), name.toLowerCase(), limit);
    if (distance <= limit && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

/** `names` quoted and listed for a hint, cut after `limit` of them. */
export function listNames(names: readonly string[], limit = 20): string {
  const shown = names.slice(0, limit).join(', ');
  return names.length > limit ? `${shown}, … (${names.length} in all)` : shown;
}

/** `text` quoted for a message (user input, cut like every quoted input). */
export function quoted(text: string): string {
  return quoteInput(text);
}
