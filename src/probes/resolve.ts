/**
 * Turns `PATH:SYMBOL[+OFFSET]` uprobes into the `PATH:OFFSET` the kernel
 * takes. The ELF lookup itself is injected (perf-bridge passes its ELF
 * resolver), which keeps this model free of file I/O and easy to test.
 */
import { plainDefinition, type AnyProbeDefinition, type ProbeDefinition } from './definition.js';
import { fail } from './errors.js';
import { isNonNegativeInteger } from './numbers.js';

/**
 * Returns the file offset of `symbol` + `offsetInSymbol` in the ELF file at
 * `path`, or throws. For example, with perf-bridge's ELF module:
 * `(path, symbol, offset) => resolveUprobeOffset(path, symbol, offset).offset`.
 */
export type UprobeSymbolResolver = (path: string, symbol: string, offsetInSymbol: number) => number;

/** True when `def` can be printed: it is not a PATH:SYMBOL uprobe. */
export function isResolved(def: AnyProbeDefinition): boolean {
  return def.location.type !== 'usym';
}

/**
 * `def` with a PATH:SYMBOL location replaced by PATH:OFFSET (the reference
 * counter offset is kept); any other definition is returned unchanged.
 */
export function resolveUprobeSymbols<F extends object>(def: ProbeDefinition<F>, resolver: UprobeSymbolResolver): ProbeDefinition<F> {
  const loc = def.location;
  if (loc.type !== 'usym') return def;
  const offset = resolver(loc.path, loc.symbol, loc.offset);
  if (!isNonNegativeInteger(offset)) {
    fail('UNRESOLVED_SYMBOL', `The resolver returned ${String(offset)} for '${loc.path}:${loc.symbol}', which is not a file offset.`, 'the resolver must return a non-negative integer file offset', { part: 'location' });
  }
  const refCtr = loc.refCtrOffset === undefined ? {} : { refCtrOffset: loc.refCtrOffset };
  return { ...plainDefinition(def), location: { type: 'uoffset', path: loc.path, offset, ...refCtr } };
}
