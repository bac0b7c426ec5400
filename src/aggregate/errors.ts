/** The error an aggregation raises for a key, field or event it cannot aggregate. */
import { PerfBridgeError } from '../errors.js';
import { suggestNames } from '../elf/suggest.js';

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

/** "did you mean 'x'? " when a valid name is close to `given` (see {@link suggestNames}), else the empty string. */
export function didYouMean(given: string, valid: Iterable<string>): string {
  const nearest = suggestNames(given, valid, 1)[0];
  return nearest === undefined ? '' : `did you mean '${nearest}'? `;
}

/** `names` quoted and listed for a hint, cut after `limit` of them. */
export function listNames(names: readonly string[], limit = 20): string {
  const shown = names.slice(0, limit).join(', ');
  return names.length > limit ? `${shown}, … (${names.length} in all)` : shown;
}
