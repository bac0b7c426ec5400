/**
 * The event names perf-bridge gives a session's probes that name none, and the labels their
 * events are reported under.
 *
 * The kernel's own defaults (names.ts) collide: a uprobe and a uretprobe on one symbol both get
 * `p_<file>_0x<offset>`, and the kernel appends the second to the first's event. So perf-bridge
 * names them itself, from the probe kind and the label (else the probed symbol or place), unique
 * within the session: `uprobe_work`, `uretprobe_work`, `kprobe_open`, `kprobe_open_2`. A name the
 * definition gives is kept as it is; two of those that collide are still refused, and so is a
 * default that another tracer already uses in a group the user named (claims.ts).
 */
import { basename } from 'node:path';

import { LIMITS, plainDefinition, type AnyProbeDefinition } from './definition.js';
import { checkName } from './names.js';
import { hex } from '../hex.js';

/**
 * The symbol a resolved uprobe was placed by, so its name can say `malloc` rather than an offset.
 * A side table, not a field: the model holds what the kernel text says, and that has no symbol.
 */
const placedBySymbol = new WeakMap<AnyProbeDefinition, { readonly symbol: string; readonly offset: number }>();

/**
 * Notes that `resolved` (a PATH:OFFSET uprobe) was `original`, a PATH:SYMBOL one, so that its
 * default name comes from the symbol. Returns `resolved`.
 */
export function rememberSymbol<D extends AnyProbeDefinition>(resolved: D, original: AnyProbeDefinition): D {
  const location = original.location;
  if (location.type === 'usym') placedBySymbol.set(resolved, { symbol: location.symbol, offset: location.offset });
  return resolved;
}

/** What a probe of this kind and direction is called: kprobe, kretprobe, uprobe, uretprobe, fentry, fexit, tprobe. */
export function probeKindWord(def: AnyProbeDefinition): string {
  switch (def.kind) {
    case 'kprobe':
      return def.isReturn ? 'kretprobe' : 'kprobe';
    case 'uprobe':
      return def.isReturn ? 'uretprobe' : 'uprobe';
    case 'fprobe':
      return def.isReturn ? 'fexit' : 'fentry';
    case 'tprobe':
      return 'tprobe';
  }
}

/** `text` as part of an event name: letters, digits and `_` only. */
function fragment(text: string): string {
  return text.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
}

/** What a probe without a label is named after: its symbol, or the place it is at. */
function placeOf(def: AnyProbeDefinition): string {
  const location = def.location;
  const withOffset = (symbol: string, offset: number) => (offset === 0 ? symbol : `${symbol}_${hex(offset)}`);
  switch (location.type) {
    case 'ksym':
    case 'function': {
      const symbol = location.type === 'ksym' ? withOffset(location.symbol, location.offset) : location.symbol;
      return location.module === undefined ? symbol : `${location.module}_${symbol}`;
    }
    case 'kaddr':
      return hex(location.address);
    case 'usym':
      return withOffset(location.symbol, location.offset);
    case 'uoffset': {
      const placed = placedBySymbol.get(def);
      if (placed !== undefined) return withOffset(placed.symbol, placed.offset);
      return `${basename(location.path)}_${hex(location.offset)}`;
    }
    case 'tracepoint':
      return location.name;
  }
}

/** `name` cut so that `suffix` still fits within the kernel's name length. */
function fit(name: string, suffix = ''): string {
  return `${name.slice(0, LIMITS.maxNameLength - suffix.length).replace(/_+$/, '')}${suffix}`;
}

/**
 * The name a probe gets when its definition names none: `<kind>_<label or place>`, cut to the
 * kernel's 63 characters. Always a valid event name, since it starts with the kind.
 */
export function sessionEventName(def: AnyProbeDefinition, label?: string): string {
  const base = fragment(label ?? placeOf(def));
  return fit(base === '' ? probeKindWord(def) : `${probeKindWord(def)}_${base}`);
}

/** A probe to name: its label, if the caller gave one, and its definition. */
export interface ProbeToName {
  readonly label?: string | undefined;
  readonly definition: AnyProbeDefinition;
}

/**
 * Every definition with its group and event made explicit: its own group, else `group` (the
 * session's); its own event name, else {@link sessionEventName} made unique among the session's
 * names in that group with `_2`, `_3`, … Explicit names are taken first, so a default never takes a
 * name the user gave; explicit names that collide are left for the caller to refuse.
 */
export function nameSessionProbes<T extends ProbeToName>(probes: readonly T[], group: string): T[] {
  const groupOf = (def: AnyProbeDefinition) => def.groupName ?? group;
  const taken = new Set<string>();
  for (const { definition } of probes) {
    if (definition.eventName !== undefined) taken.add(`${groupOf(definition)}/${definition.eventName}`);
  }
  return probes.map((probe) => {
    const definition = probe.definition;
    const groupName = groupOf(definition);
    checkName(groupName, 'group');
    let eventName = definition.eventName;
    if (eventName === undefined) {
      const wanted = sessionEventName(definition, probe.label);
      eventName = wanted;
      for (let n = 2; taken.has(`${groupName}/${eventName}`); n++) eventName = fit(wanted, `_${n}`);
      taken.add(`${groupName}/${eventName}`);
    }
    checkName(eventName, 'event');
    return { ...probe, definition: { ...plainDefinition(definition), groupName, eventName } };
  });
}

/**
 * The label a probe's events are reported under when the caller gave none: the event name alone
 * in the session's own group (whose name, `perfbridge_<pid>_<n>`, means nothing to the user), and
 * `group:event` in a group the user named.
 */
export function defaultLabel(def: AnyProbeDefinition, sessionGroup: string): string {
  const group = def.groupName ?? sessionGroup;
  const event = def.eventName ?? '';
  return group === sessionGroup ? event : `${group}:${event}`;
}
