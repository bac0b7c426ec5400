/**
 * Turns `PATH:SYMBOL[+OFFSET]` uprobes into the `PATH:OFFSET` the kernel
 * takes, and checks raw `PATH:OFFSET` targets. The ELF lookup itself is
 * injected (perf-bridge passes its ELF resolver and offset check), which keeps
 * this model free of file I/O and easy to test.
 */
import { cutInput } from '../errors.js';
import { plainDefinition, type AnyProbeDefinition, type ProbeDefinition } from './definition.js';
import { fail } from './errors.js';
import { isNonNegativeInteger } from './numbers.js';

/**
 * Returns the file offset of `symbol` + `offsetInSymbol` in the ELF file at
 * `path`, or throws. For example, with perf-bridge's ELF module:
 * `(path, symbol, offset) => resolveUprobeOffset(path, symbol, offset).offset`.
 */
export type UprobeSymbolResolver = (path: string, symbol: string, offsetInSymbol: number) => number;

/**
 * Throws unless file offset `offset` of the ELF file at `path` is a place a uprobe can go (in an
 * executable segment). With perf-bridge's ELF module: `checkUprobeFileOffset`.
 */
export type UprobeOffsetChecker = (path: string, offset: number) => void;

/** True when `def` can be printed: it is not a PATH:SYMBOL uprobe. */
export function isResolved(def: AnyProbeDefinition): boolean {
  return def.location.type !== 'usym';
}

/**
 * `def` with a PATH:SYMBOL location replaced by PATH:OFFSET (the reference
 * counter offset is kept); any other definition is returned unchanged. With
 * `checkOffset`, a PATH:OFFSET location given as such is checked by it, so a
 * raw offset is held to the same rule as a resolved symbol (the resolver's job).
 */
export function resolveUprobeSymbols<F extends object>(
  def: ProbeDefinition<F>,
  resolver: UprobeSymbolResolver,
  checkOffset?: UprobeOffsetChecker,
): ProbeDefinition<F> {
  const loc = def.location;
  if (loc.type === 'uoffset') checkOffset?.(loc.path, loc.offset);
  if (loc.type !== 'usym') return def;
  const offset = resolver(loc.path, loc.symbol, loc.offset);
  if (!isNonNegativeInteger(offset)) {
    fail(
      'UNRESOLVED_SYMBOL',
      `The resolver returned ${String(offset)} for '${cutInput(`${loc.path}:${loc.symbol}`)}', ` +
        'which is not a file offset.',
      'the resolver must return a non-negative integer file offset',
      { part: 'location' },
    );
  }
  const refCtr = loc.refCtrOffset === undefined ? {} : { refCtrOffset: loc.refCtrOffset };
  return { ...plainDefinition(def), location: { type: 'uoffset', path: loc.path, offset, ...refCtr } };
}
