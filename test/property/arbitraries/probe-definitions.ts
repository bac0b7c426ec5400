/**
 * Generated probe definitions (the model of src/probes/definition.ts) for every probe kind. Parts
 * are drawn widely — names, paths and symbols from the characters the rules allow, fetch trees a
 * few dereferences deep, every type — and arguments the kernel's rules refuse for the probe are
 * dropped, so every definition generated is one validate() accepts.
 */
import fc from 'fast-check';

import {
  LIMITS,
  NUMERIC_TYPES,
  STRING_TYPES,
  type ArgType,
  type FetchNode,
  type ProbeArg,
  type ProbeDefinition,
  type ProbeKind,
  type ProbeLocation,
} from '../../../src/probes/definition.js';
import { ProbeDefinitionError } from '../../../src/probes/errors.js';
import { X86_64_REGISTERS } from '../../../src/probes/registers.js';
import { validateArg } from '../../../src/probes/validate-arg.js';
import { validate } from '../../../src/probes/validate.js';

/** Group, event and argument names: C identifiers, up to the kernel's lengths. */
const identifier = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,24}$/);
/** Kernel symbols as kallsyms spells them, `foo.isra.0` included. */
const kernelSymbol = fc.stringMatching(/^[A-Za-z_.][A-Za-z0-9_.$]{0,24}$/);
/** Module names from the characters validate() allows, `-` included. */
const moduleName = fc.stringMatching(/^[A-Za-z0-9_-]{1,16}$/);
/** Paths with the characters that are legal in a token: `:`, `%`, `(`, `+` and `=` included. */
const pathSegment = fc
  .stringMatching(/^[A-Za-z0-9_.:%()+,@=-]{1,10}$/)
  .filter((segment) => segment !== '.' && segment !== '..');
const uprobePath = fc
  .tuple(fc.constantFrom('/', './', '/usr/lib/'), fc.array(pathSegment, { minLength: 1, maxLength: 3 }))
  .map(([root, segments]) => root + segments.join('/'));
const offset32 = fc.integer({ min: 0, max: LIMITS.maxSymbolOffset });
const fileOffset = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });

function location(kind: ProbeKind, isReturn: boolean): fc.Arbitrary<ProbeLocation> {
  const module = fc.option(moduleName, { nil: undefined });
  switch (kind) {
    case 'kprobe':
      return fc.oneof(
        fc
          .record({
            module,
            symbol: kernelSymbol,
            offset: isReturn ? fc.constant(0) : fc.oneof(fc.constant(0), offset32),
          })
          .map(({ module: mod, symbol, offset }) => ({
            type: 'ksym' as const,
            ...(mod !== undefined && { module: mod }),
            symbol,
            offset,
          })),
        u64.filter((address) => address > 0n).map((address) => ({ type: 'kaddr' as const, address })),
      );
    case 'uprobe':
      return fc
        .record({
          path: uprobePath,
          offset: fileOffset,
          ref: fc.option(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), { nil: undefined }),
        })
        .map(({ path, offset, ref }) => ({
          type: 'uoffset' as const,
          path,
          offset,
          ...(ref !== undefined && { refCtrOffset: ref }),
        }));
    case 'fprobe':
      return fc.record({ module, symbol: kernelSymbol }).map(({ module: mod, symbol }) => ({
        type: 'function' as const,
        ...(mod !== undefined && { module: mod }),
        symbol,
      }));
    case 'tprobe':
      return fc.stringMatching(/^[A-Za-z0-9_]{1,24}$/).map((name) => ({ type: 'tracepoint' as const, name }));
  }
}

const leaf: fc.Arbitrary<FetchNode> = fc.oneof(
  fc.constantFrom(...X86_64_REGISTERS).map((name) => ({ op: 'reg' as const, name })),
  fc.constant({ op: 'stack' as const }),
  fc.integer({ min: 0, max: LIMITS.maxStackIndex + 1 }).map((index) => ({ op: 'stackN' as const, index })),
  fc.constant({ op: 'retval' as const }),
  fc.constant({ op: 'comm' as const }),
  fc.integer({ min: 0, max: 20 }).map((index) => ({ op: 'arg' as const, index })),
  u64.map((address) => ({ op: 'memAddr' as const, address })),
  fc
    .record({ symbol: kernelSymbol, offset: fc.integer({ min: -(2 ** 40), max: 2 ** 40 }) })
    .map(({ symbol, offset }) => ({ op: 'memSymbol' as const, symbol, offset })),
  fileOffset.map((offset) => ({ op: 'fileOffset' as const, offset })),
  fc.bigInt({ min: -(1n << 63n), max: (1n << 64n) - 1n }).map((value) => ({ op: 'imm' as const, value })),
  fc.string({ unit: 'grapheme-ascii', maxLength: 12 }).map((value) => ({ op: 'immString' as const, value })),
);

/** A fetch: a leaf under up to four dereferences (the kernel allows 15 fetch instructions). */
const fetchNode: fc.Arbitrary<FetchNode> = fc
  .tuple(
    leaf,
    fc.array(fc.record({ offset: fc.integer({ min: -(2 ** 31), max: 2 ** 31 }), user: fc.boolean() }), {
      maxLength: 4,
    }),
  )
  .map(([inner, derefs]) =>
    derefs.reduce<FetchNode>((target, { offset, user }) => ({ op: 'deref', offset, user, target }), inner),
  );

const arrayLength = fc.option(fc.integer({ min: 1, max: LIMITS.maxArrayLength }), { nil: undefined });

const argType: fc.Arbitrary<ArgType | undefined> = fc.oneof(
  fc.constant(undefined),
  fc
    .record({ name: fc.constantFrom(...NUMERIC_TYPES, ...STRING_TYPES), arrayLength })
    .map(({ name, arrayLength: length }) => ({
      kind: 'basic' as const,
      name,
      ...(length !== undefined && { arrayLength: length }),
    })),
  fc
    .tuple(fc.constantFrom<8 | 16 | 32 | 64>(8, 16, 32, 64), fc.nat(64), fc.nat(64), arrayLength)
    .map(([container, width, offset, length]) => ({
      kind: 'bitfield' as const,
      width: 1 + (width % container),
      offset: offset % container,
      container,
      ...(length !== undefined && { arrayLength: length }),
    }))
    .map((type) => ({ ...type, offset: Math.min(type.offset, type.container - type.width) })),
);

const candidateArg = fc.record({ name: fc.option(identifier, { nil: undefined }), fetch: fetchNode, type: argType });

/** True when `check` accepts; false when it throws the model's own error (anything else escapes). */
function accepted(check: () => void): boolean {
  try {
    check();
    return true;
  } catch (error) {
    if (error instanceof ProbeDefinitionError) return false;
    throw error;
  }
}

/** Keeps the candidates the probe's rules accept, in order; an unnamed one gets the kernel's `argN`. */
type CandidateArg = typeof candidateArg extends fc.Arbitrary<infer T> ? T : never;

function acceptedArgs(head: Omit<ProbeDefinition, 'args'>, candidates: CandidateArg[]): ProbeArg[] {
  const args: ProbeArg[] = [];
  const names = new Set<string>();
  for (const { name, fetch, type } of candidates) {
    const arg: ProbeArg = { name: name ?? `arg${args.length + 1}`, fetch, ...(type !== undefined && { type }) };
    if (
      !accepted(() => {
        validateArg(arg, head, args.length, names);
      })
    )
      continue;
    args.push(arg);
    names.add(arg.name);
  }
  return args;
}

function head(kind: ProbeKind): fc.Arbitrary<Omit<ProbeDefinition, 'args'>> {
  const returns = kind === 'tprobe' ? fc.constant(false) : fc.boolean();
  return returns.chain((isReturn) =>
    fc
      .record({
        location: location(kind, isReturn),
        suffix: fc.boolean(),
        maxactive: fc.option(fc.integer({ min: 1, max: LIMITS.maxMaxactive }), { nil: undefined }),
        groupName: fc.option(identifier, { nil: undefined }),
        eventName: fc.option(identifier, { nil: undefined }),
      })
      .map(({ location: place, suffix, maxactive, groupName, eventName }) => {
        // fprobe exits are always `%return`; an address cannot take the suffix.
        const syntax = kind === 'fprobe' || (suffix && place.type !== 'kaddr') ? 'suffix' : 'prefix';
        const hasMaxactive = isReturn && (kind === 'kprobe' || kind === 'fprobe') && maxactive !== undefined;
        return {
          kind,
          isReturn,
          ...(isReturn && { returnSyntax: syntax }),
          ...(hasMaxactive && { maxactive }),
          ...(groupName !== undefined && { groupName }),
          ...(eventName !== undefined && { eventName }),
          location: place,
        };
      }),
  );
}

/** A definition validate() accepts, of any kind, with up to 10 arguments. */
export const probeDefinition: fc.Arbitrary<ProbeDefinition> = fc
  .constantFrom<ProbeKind>('kprobe', 'uprobe', 'fprobe', 'tprobe')
  .chain((kind) => fc.tuple(head(kind), fc.array(candidateArg, { maxLength: 10 })))
  .map(([probeHead, candidates]) => ({ ...probeHead, args: acceptedArgs(probeHead, candidates) }))
  // Rare: the arguments together exceed the event size or line length the kernel allows.
  .filter((def) => accepted(() => validate(def)));
