/**
 * Properties of the typed builder (src/probes/builder.ts, fetch.ts): any valid definition can be
 * written with the builder's calls, and the result is that same definition — so it prints to the
 * same line, which parses back to it. The builder, the model and the parser cannot drift apart.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import fc from 'fast-check';

import {
  fentry,
  fexit,
  kprobe,
  kretprobe,
  tprobe,
  uprobe,
  uretprobe,
  type ProbeBuilder,
} from '../../../src/probes/builder.js';
import { plainDefinition, type ArgType, type FetchNode, type ProbeDefinition } from '../../../src/probes/definition.js';
import {
  type Fetch,
  type TypeSpec,
  arg,
  atAddress,
  atFileOffset,
  atSymbol,
  comm,
  deref,
  imm,
  immString,
  reg,
  retval,
  stack,
  stackPointer,
  uderef,
} from '../../../src/probes/fetch.js';
import { parse } from '../../../src/probes/parse.js';
import { print } from '../../../src/probes/print.js';
import type { X86Register } from '../../../src/probes/registers.js';
import { renderType } from '../../../src/probes/render.js';
import { probeDefinition } from '../arbitraries/probe-definitions.js';
import { propertyRuns } from '../settings.js';

/** The builder call that makes `node`. */
function fetchOf(node: FetchNode): Fetch<never> {
  switch (node.op) {
    case 'reg':
      return reg(node.name as X86Register) as Fetch<never>;
    case 'stack':
      return stackPointer() as Fetch<never>;
    case 'stackN':
      return stack(node.index) as Fetch<never>;
    case 'retval':
      return retval() as Fetch<never>;
    case 'comm':
      return comm() as Fetch<never>;
    case 'arg':
      return arg(node.index) as Fetch<never>;
    case 'memAddr':
      return atAddress(node.address) as Fetch<never>;
    case 'memSymbol':
      return atSymbol(node.symbol, node.offset) as Fetch<never>;
    case 'fileOffset':
      return atFileOffset(node.offset) as Fetch<never>;
    case 'imm':
      return imm(node.value) as Fetch<never>;
    case 'immString':
      return immString(node.value) as Fetch<never>;
    case 'deref':
      return (
        node.user ? uderef(fetchOf(node.target), node.offset) : deref(fetchOf(node.target), node.offset)
      ) as Fetch<never>;
  }
}

/** `.as()` with the type's kernel spelling, or the fetch itself when the type is the default. */
function typed(fetch: Fetch<never>, type: ArgType | undefined): Fetch<never> {
  return type === undefined ? fetch : (fetch.as(renderType(type) as TypeSpec) as Fetch<never>);
}

/** The builder's entry point for the definition's kind, location and return form. */
function start(def: ProbeDefinition): ProbeBuilder {
  const loc = def.location;
  const syntax = def.returnSyntax;
  const maxactive = def.maxactive;
  switch (loc.type) {
    case 'ksym':
      return def.isReturn
        ? kretprobe(loc.symbol, { module: loc.module, maxactive, syntax })
        : kprobe(loc.symbol, { module: loc.module, offset: loc.offset });
    case 'kaddr':
      return def.isReturn ? kretprobe(loc.address, { maxactive, syntax }) : kprobe(loc.address);
    case 'uoffset':
      return def.isReturn
        ? uretprobe(loc.path, loc.offset, { refCtrOffset: loc.refCtrOffset, syntax })
        : uprobe(loc.path, loc.offset, { refCtrOffset: loc.refCtrOffset });
    case 'function':
      return def.isReturn
        ? fexit(loc.symbol, { module: loc.module, maxactive })
        : fentry(loc.symbol, { module: loc.module });
    case 'tracepoint':
      return tprobe(loc.name);
    case 'usym':
      throw new Error('the generator makes no PATH:SYMBOL uprobes');
  }
}

/** Writes `def` with builder calls: entry point, names, then every argument in order. */
function build(def: ProbeDefinition): ProbeBuilder {
  let builder = start(def);
  if (def.groupName !== undefined) builder = builder.group(def.groupName);
  if (def.eventName !== undefined) builder = builder.event(def.eventName);
  for (const a of def.args) builder = builder.arg(a.name, typed(fetchOf(a.fetch), a.type));
  return builder;
}

test('the builder writes any valid definition exactly, and what it builds prints and parses back to it', () => {
  fc.assert(
    fc.property(probeDefinition, (def) => {
      const built = build(def).build();
      assert.deepEqual(plainDefinition(built), def);
      const text = print(built);
      assert.equal(text, print(def));
      assert.deepEqual(parse(text), def);
    }),
    propertyRuns(1500),
  );
});
