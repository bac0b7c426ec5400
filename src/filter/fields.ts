/**
 * The fields a filter can name on one event, found in the kernel's order
 * (`trace_find_event_field`): the event's own fields, then the special fields, then the common ones;
 * and the list of them that hints show.
 */
import type { EventFormat, FormatField } from '../decode/format.js';
import { boundedLevenshtein, suggestNames } from '../elf/suggest.js';
import { type FilterFieldType, filterFieldType, holdsUserPointers, typeLabel } from './field-types.js';
import { type FilterGrammar, SPECIAL_FIELDS, type SpecialFieldName } from './grammar.js';

/** A field a filter names, resolved. */
export interface ResolvedField {
  readonly name: string;
  readonly source: 'event' | 'special' | 'common';
  readonly type: FilterFieldType;
  /** The format's field (undefined for special fields). */
  readonly field: FormatField | undefined;
}

/** Special fields of some kernels that only histogram triggers can use. */
const HISTOGRAM_ONLY = new Set(['stacktrace', 'STACKTRACE', 'common_stacktrace', 'common_timestamp', 'hitcount']);

/** Fields a hint lists before it says how many more there are. */
const LISTED_FIELDS = 40;

/** `name` on this event, or undefined when the kernel would not find it. */
export function resolveField(name: string, format: EventFormat, grammar: FilterGrammar): ResolvedField | undefined {
  const own = format.fields.find((f) => f.name === name);
  if (own) return { name, source: 'event', type: filterFieldType(own, grammar), field: own };
  if (grammar.specialFields.has(name) && name in SPECIAL_FIELDS) {
    const kind = SPECIAL_FIELDS[name as SpecialFieldName];
    const type: FilterFieldType = kind === 'cpu' ? { kind: 'cpu' } : { kind: 'string', storage: 'comm' };
    return { name, source: 'special', type, field: undefined };
  }
  const common = format.commonFields.find((f) => f.name === name);
  if (common) return { name, source: 'common', type: filterFieldType(common, grammar), field: common };
  if (HISTOGRAM_ONLY.has(name)) {
    const type: FilterFieldType = { kind: 'none', reason: 'a histogram trigger field, which filters cannot compare' };
    return { name, source: 'special', type, field: undefined };
  }
  return undefined;
}

/** Every name a filter on this event can use, in lookup order. */
export function usableFieldNames(format: EventFormat, grammar: FilterGrammar): string[] {
  return [
    ...format.fields.map((f) => f.name),
    ...specialNames(format, grammar),
    ...format.commonFields.map((f) => f.name),
  ];
}

/** The special fields this kernel has that no event field shadows. */
function specialNames(format: EventFormat, grammar: FilterGrammar): string[] {
  return Object.keys(SPECIAL_FIELDS).filter(
    (name) => grammar.specialFields.has(name) && !format.fields.some((f) => f.name === name),
  );
}

/**
 * Up to three usable names close to `name`, nearest first: the usual suggestions, else names that
 * hold its letters in order (`fname` → `filename`) or are a few edits away — field lists are short.
 */
export function nearestFieldNames(name: string, format: EventFormat, grammar: FilterGrammar): string[] {
  const names = usableFieldNames(format, grammar);
  const near = suggestNames(name, names, 3);
  if (near.length > 0 || name.length < 3) return near;
  const query = name.toLowerCase();
  const loose = Math.max(2, Math.floor(query.length / 2));
  return names
    .map((candidate) => {
      const lower = candidate.toLowerCase();
      const distance = boundedLevenshtein(query, lower, loose);
      return { candidate, distance: isSubsequence(query, lower) ? Math.min(distance, loose) : distance };
    })
    .filter(({ distance }) => distance <= loose)
    .sort((a, b) => a.distance - b.distance)
    .slice(0, 3)
    .map(({ candidate }) => candidate);
}

/** Whether the characters of `short` appear in `long` in order. */
function isSubsequence(short: string, long: string): boolean {
  let at = 0;
  for (const c of long) if (c === short[at]) at++;
  return at === short.length;
}

/**
 * The fields for a hint: the event's own with their filter types, then the common ones, then the
 * special ones, e.g. `fields: prev_comm string, prev_pid s32; common: common_pid s32, …; special: CPU …`.
 */
export function describeFields(format: EventFormat, grammar: FilterGrammar, eventName: string): string {
  const userPointers = holdsUserPointers(eventName);
  const describe = (field: FormatField) => {
    const type = filterFieldType(field, grammar);
    const user = userPointers && type.kind === 'string' && type.storage === 'pointer';
    return user ? `${field.name}.ustring string` : `${field.name} ${typeLabel(type)}`;
  };
  const own = format.fields.map(describe);
  const shown =
    own.length > LISTED_FIELDS ? [...own.slice(0, LISTED_FIELDS), `… ${own.length - LISTED_FIELDS} more`] : own;
  const parts = [
    `fields: ${shown.length > 0 ? shown.join(', ') : 'none of its own'}`,
    `common: ${format.commonFields.map(describe).join(', ')}`,
  ];
  const special = specialNames(format, grammar);
  const cpus = special.filter((name) => SPECIAL_FIELDS[name as SpecialFieldName] === 'cpu');
  const comms = special.filter((name) => SPECIAL_FIELDS[name as SpecialFieldName] === 'comm');
  const described = [
    ...(cpus.length > 0 ? [`${cpus.join(', ')} (the CPU)`] : []),
    ...(comms.length > 0 ? [`${comms.join(', ')} (the task name)`] : []),
  ];
  if (described.length > 0) parts.push(`special: ${described.join(', ')}`);
  return parts.join('; ');
}
