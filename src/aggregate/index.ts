/**
 * Aggregations over columnar batches (`session.onColumns`) that render a table, like bpftrace's
 * `count()`, `hist()` and a function's latency: countBy, histogram, latency.
 */
export type { Aggregation } from './aggregation.js';
export { countBy, type CountByOptions } from './count-by.js';
export { foldedStacks } from './folded-stacks.js';
export { histogram } from './histogram.js';
export { latency, type LatencyAggregation, type LatencyPair, type LatencySummary } from './latency.js';
export { AggregationError } from './errors.js';
export { Log2Buckets } from './log2-buckets.js';
export { formatDuration } from './durations.js';
