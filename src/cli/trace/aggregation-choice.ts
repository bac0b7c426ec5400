/** The aggregation a `trace` command line asks for, built on the session's event formats. */
import { type Aggregation, countBy, foldedStacks, histogram, latency } from '../../aggregate/index.js';
import type { Session } from '../../session/session.js';
import type { AggregateRequest, TraceTarget } from '../args.js';
import { findLatencyPair } from './latency-pair.js';

/**
 * The names the session reports `probes`' events under, in order: a session lists its tracepoints
 * first and then its probes, in the order they were given (the CLI opens no PMU probes).
 */
function probeLabels(session: Session, probes: readonly TraceTarget[]): string[] {
  const names = [...session.formats.keys()];
  return names.slice(names.length - probes.length);
}

/**
 * The aggregation for `request` (--count-by, --hist, --latency, --format folded) over `session`'s events; a latency
 * without a named pair takes the entry and return probes of `probes`.
 *
 * @throws AggregationError for a key, field or event the aggregation cannot use; UsageError when
 *   --latency finds no single pair.
 */
export function chooseAggregation(
  request: AggregateRequest,
  session: Session,
  probes: readonly TraceTarget[],
): Aggregation {
  const formats = session.formats;
  switch (request.kind) {
    case 'count-by':
      return countBy(request.keys, formats, { top: request.top });
    case 'hist':
      return histogram(request.field, formats);
    case 'latency':
      return latency(request.pair ?? findLatencyPair(probes, probeLabels(session, probes)), formats);
    case 'folded':
      return foldedStacks();
  }
}
