/**
 * The entry and return events `--latency` pairs when it is not told which: among the probes of the
 * command line, the one entry probe and the one return probe placed on the same function.
 */
import { resolve } from 'node:path';

import type { LatencyPair } from '../../aggregate/index.js';
import type { AnyProbeDefinition } from '../../probes/definition.js';
import { parse } from '../../probes/parse.js';
import type { TraceTarget } from '../args.js';
import { UsageError } from '../failure.js';

/** A probe of the command line: where it is placed, whether it is a return probe, and its events' name. */
interface PlacedProbe {
  /** The kind and place, the same for an entry probe and the return probe of one function. */
  place: string;
  isReturn: boolean;
  label: string;
}

/** The kind and place of `definition` as one comparable string (a relative path made absolute). */
function placeKey(definition: AnyProbeDefinition): string {
  const location = definition.location;
  const withPath =
    location.type === 'usym' || location.type === 'uoffset'
      ? { ...location, path: location.path.includes('/') ? resolve(location.path) : location.path }
      : location;
  return JSON.stringify([definition.kind, withPath], (_key, value: unknown) =>
    typeof value === 'bigint' ? value.toString() : value,
  );
}

const HINT =
  'trace an entry probe and a return probe on one function (PATH:SYMBOL and "r PATH:SYMBOL"), ' +
  'or name the two events: --latency ENTRY,RETURN';

/**
 * The one entry/return pair among `probes`, whose events the session reports under `labels` (one per
 * probe, in order).
 *
 * @throws {@link UsageError} when there is no such pair, or more than one.
 */
export function findLatencyPair(probes: readonly TraceTarget[], labels: readonly string[]): LatencyPair {
  const placed: PlacedProbe[] = probes.map((probe, i) => {
    const definition = parse(probe.definition);
    return { place: placeKey(definition), isReturn: definition.isReturn, label: labels[i]! };
  });
  const pairs: LatencyPair[] = [];
  for (const entry of placed.filter((p) => !p.isReturn)) {
    for (const exit of placed.filter((p) => p.isReturn && p.place === entry.place)) {
      pairs.push({ entry: entry.label, exit: exit.label });
    }
  }
  if (pairs.length === 1) return pairs[0]!;
  if (pairs.length === 0) {
    const given = placed.length === 0 ? 'no probe was given' : `the probes given (${labels.join(', ')}) hold none`;
    throw new UsageError(`--latency needs an entry probe and a return probe on the same function: ${given}`, HINT);
  }
  const listed = pairs.map((pair) => `${pair.entry},${pair.exit}`).join('; ');
  throw new UsageError(`--latency found ${pairs.length} entry/return pairs (${listed}): it takes one`, HINT);
}
