/**
 * What the kernel's filter can do with a field: `filter_assign_type` (trace_events_filter.c) sorts
 * fields by their C type into strings (fixed `char[N]`, `__data_loc`/`__rel_loc char[]`, `char *`
 * pointers), cpumasks and "other"; "other" compares as an integer only at 1, 2, 4 or 8 bytes
 * (`select_comparison_fn`) and never matches otherwise, so such fields are refused here.
 */
import type { FormatField } from '../decode/format.js';
import type { FilterGrammar } from './grammar.js';

/** How a string field's bytes are found. */
export type StringStorage =
  /** `char name[N]` in the record. */
  | 'static'
  /** `__data_loc char[]`: offset and length in the record (uprobe and kprobe `string` arguments). */
  | 'dynamic'
  /** `__rel_loc char[]`: like `dynamic`, the offset counted from the field's end. */
  | 'relative'
  /** `char *` / `const char *`: an address the kernel reads the string from when filtering. */
  | 'pointer'
  /** The special COMM field: the current task's name. */
  | 'comm';

/** What a field is to the filter. */
export type FilterFieldType =
  | { readonly kind: 'number'; readonly size: 1 | 2 | 4 | 8; readonly signed: boolean; readonly bool: boolean }
  | { readonly kind: 'string'; readonly storage: StringStorage }
  /** The special CPU field: the CPU the event fires on (an `int`). */
  | { readonly kind: 'cpu' }
  /** `__data_loc cpumask_t`: compared with `CPUS{…}` only (Linux 6.6+). */
  | { readonly kind: 'cpumask' }
  /** Nothing the filter can compare: `reason` says why. */
  | { readonly kind: 'none'; readonly reason: string };

/** The filter type of a field of the event's format, as `filter_assign_type` and `parse_pred` see it. */
export function filterFieldType(field: FormatField, grammar: FilterGrammar): FilterFieldType {
  const type = field.cType;
  const d = field.decoding;
  // The kernel's type string holds the array suffix (`char[16]`); the format parser took it off.
  const isArray = d.kind === 'chars' || d.kind === 'array' || d.kind === 'flexible';
  if (type.includes('__data_loc')) {
    if (type.includes('char')) return field.size === 4 ? { kind: 'string', storage: 'dynamic' } : bytesField(field);
    if (type.includes('cpumask_t')) {
      return grammar.cpuMasks
        ? { kind: 'cpumask' }
        : { kind: 'none', reason: 'a cpumask, which filters can compare only from Linux 6.6 on (with CPUS{…})' };
    }
  }
  if (type.includes('__rel_loc') && type.includes('char')) {
    return field.size === 4 ? { kind: 'string', storage: 'relative' } : bytesField(field);
  }
  if (isArray && type.includes('char')) return { kind: 'string', storage: 'static' };
  if (type === 'char *' || type === 'const char *') return { kind: 'string', storage: 'pointer' };
  if (d.kind === 'int') return { kind: 'number', size: d.size, signed: field.signed, bool: false };
  if (d.kind === 'bool') return { kind: 'number', size: 1, signed: field.signed, bool: true };
  if (d.kind === 'array') {
    return {
      kind: 'none',
      reason: `an array of ${d.count} ${d.element.size}-byte values; the kernel compares only single numbers and strings`,
    };
  }
  if (d.kind === 'dynamic' || d.kind === 'flexible') {
    return {
      kind: 'none',
      reason: 'a variable-length array of numbers; the kernel compares only single numbers and strings',
    };
  }
  return bytesField(field);
}

function bytesField(field: FormatField): FilterFieldType {
  return {
    kind: 'none',
    reason: `${field.size} bytes of ${field.cType}; the kernel compares numbers of 1, 2, 4 or 8 bytes and strings`,
  };
}

/**
 * Whether the event's `char *` fields hold user-space addresses: the syscall entry events record the
 * arguments as passed, and the kernel reads a plain `char *` filter field as kernel memory, so only
 * `field.ustring` can match them.
 */
export function holdsUserPointers(eventName: string): boolean {
  return eventName.startsWith('syscalls:sys_enter_');
}

/** A short name of a filter type for hints: `s32`, `u64`, `bool`, `string`, `cpumask`. */
export function typeLabel(type: FilterFieldType): string {
  switch (type.kind) {
    case 'number':
      return type.bool ? 'bool' : `${type.signed ? 's' : 'u'}${type.size * 8}`;
    case 'string':
      return type.storage === 'pointer' ? 'char *' : 'string';
    case 'cpu':
      return 'CPU number';
    case 'cpumask':
      return 'cpumask, use CPUS{…}';
    case 'none':
      return 'not filterable';
  }
}

/** A field's filter type for a sentence: `a number field (s32)`, `a string field`, `the CPU number`. */
export function typePhrase(type: FilterFieldType): string {
  switch (type.kind) {
    case 'number':
      return `a number field (${typeLabel(type)})`;
    case 'string':
      return type.storage === 'pointer' ? 'a string field (char *)' : 'a string field';
    case 'cpu':
      return 'the CPU number';
    case 'cpumask':
      return 'a cpumask field';
    case 'none':
      return 'not filterable';
  }
}
