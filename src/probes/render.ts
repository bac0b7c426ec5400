/**
 * Renders model values as kernel text, without checking them. print.ts wraps
 * this with validation; validation itself uses these renderers to measure
 * what will be written (the kernel limits an argument expression to 63
 * characters of *text*).
 *
 * Canonical spellings, chosen so that parse(render(m)) gives m back:
 * kprobe symbol offsets, dereference offsets, `@SYM` offsets, immediates,
 * stack/argument indexes and maxactive in decimal (as the kernel's own
 * listing shows symbol offsets); addresses, uprobe file offsets, reference
 * counter offsets and `@+` file offsets in `0x` hex (as the kernel lists
 * uprobes, without its zero padding); `+0` omitted after a symbol.
 */
import type { AnyProbeDefinition, ArgType, FetchNode, ProbeArg, ProbeLocation } from './definition.js';
import { hex } from '../hex.js';

/** `p`, `r`, `f` or `t`, maxactive, and `:GROUP/EVENT` as far as they are set. */
export function renderHead(def: AnyProbeDefinition): string {
  let letter: string;
  if (def.kind === 'fprobe') letter = 'f';
  else if (def.kind === 'tprobe') letter = 't';
  // A maxactive count can only be written after 'r', so it forces the prefix form.
  else letter = def.isReturn && (def.returnSyntax !== 'suffix' || def.maxactive !== undefined) ? 'r' : 'p';
  const maxactive = def.maxactive === undefined ? '' : String(def.maxactive);
  let names = '';
  if (def.groupName !== undefined) names = `:${def.groupName}/${def.eventName ?? ''}`;
  else if (def.eventName !== undefined) names = `:${def.eventName}`;
  return `${letter}${maxactive}${names}`;
}

/** The location token; `returnSuffix` appends `%return` where the syntax allows it. */
export function renderLocation(location: ProbeLocation, returnSuffix: boolean): string {
  const suffix = returnSuffix ? '%return' : '';
  switch (location.type) {
    case 'ksym':
      return `${withModule(location.module, location.symbol)}${symbolOffset(location.offset)}${suffix}`;
    case 'kaddr':
      return hex(location.address);
    case 'uoffset':
      return `${location.path}:${hex(location.offset)}${suffix}${refCounter(location.refCtrOffset)}`;
    case 'usym': {
      // Not kernel syntax: print.ts refuses it; rendered for messages and debugging.
      const place = `${location.path}:${location.symbol}${symbolOffset(location.offset)}`;
      return `${place}${suffix}${refCounter(location.refCtrOffset)}`;
    }
    case 'function':
      return `${withModule(location.module, location.symbol)}${suffix}`;
    case 'tracepoint':
      return location.name;
  }
}

function withModule(module: string | undefined, symbol: string): string {
  return module === undefined ? symbol : `${module}:${symbol}`;
}

// `+0` is left out after a symbol: the kernel's own listing does so.
function symbolOffset(offset: number): string {
  return offset === 0 ? '' : `+${offset}`;
}

function refCounter(offset: number | undefined): string {
  return offset === undefined ? '' : `(${hex(offset)})`;
}

/** A fetch expression, e.g. `+0(+8(%di))`. */
export function renderFetch(node: FetchNode): string {
  switch (node.op) {
    case 'reg':
      return `%${node.name}`;
    case 'stack':
      return '$stack';
    case 'stackN':
      return `$stack${node.index}`;
    case 'retval':
      return '$retval';
    case 'comm':
      return '$comm';
    case 'arg':
      return `$arg${node.index}`;
    case 'memAddr':
      return `@${hex(node.address)}`;
    case 'memSymbol':
      return `@${node.symbol}${node.offset > 0 ? `+${node.offset}` : node.offset < 0 ? String(node.offset) : ''}`;
    case 'fileOffset':
      return `@+${hex(node.offset)}`;
    case 'imm':
      return `\\${node.value}`;
    case 'immString':
      return `\\"${node.value}"`;
    case 'deref': {
      const sign = node.offset < 0 ? '-' : '+';
      return `${sign}${node.user ? 'u' : ''}${Math.abs(node.offset)}(${renderFetch(node.target)})`;
    }
  }
}

/** A type, e.g. `u32`, `string[4]`, `b3@5/8`. */
export function renderType(type: ArgType): string {
  const base = type.kind === 'bitfield' ? `b${type.width}@${type.offset}/${type.container}` : type.name;
  return type.arrayLength === undefined ? base : `${base}[${type.arrayLength}]`;
}

/** The text after `NAME=`: what the kernel's MAX_ARGSTR_LEN applies to. */
export function renderArgBody(arg: ProbeArg): string {
  return arg.type === undefined ? renderFetch(arg.fetch) : `${renderFetch(arg.fetch)}:${renderType(arg.type)}`;
}

/** `NAME=FETCHARG[:TYPE]`. Names are always written, as the kernel lists them. */
export function renderArg(arg: ProbeArg): string {
  return `${arg.name}=${renderArgBody(arg)}`;
}

/** The whole definition line, unchecked. */
export function renderDefinition(def: AnyProbeDefinition): string {
  const returnSuffix = def.isReturn && def.returnSyntax === 'suffix';
  return [renderHead(def), renderLocation(def.location, returnSuffix), ...def.args.map(renderArg)].join(' ');
}
