/**
 * Group and event names: the kernel's naming rule, and the names it generates when a definition
 * leaves them out. (perf-bridge does not use the kernel's event names, which collide: its sessions
 * name their probes themselves, see session-names.ts.)
 */
import { LIMITS, type AnyProbeDefinition, type ProbeKind } from './definition.js';
import { fail } from './errors.js';
import { cutInput } from '../errors.js';
import { hex } from '../hex.js';

/**
 * The kernel's is_good_name(): a C identifier. (Recent kernels also allow `-`
 * in group names; perf-bridge does not, so its names work on every kernel
 * and as file names everywhere.)
 */
export function isGoodName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}

/** The group the kernel uses when a definition names none. */
export function kernelDefaultGroup(kind: ProbeKind): string {
  switch (kind) {
    case 'kprobe':
      return 'kprobes';
    case 'uprobe':
      return 'uprobes';
    case 'fprobe':
      return 'fprobes';
    case 'tprobe':
      return 'tracepoints';
  }
}

/**
 * The kernel's sanitize_event_name(): `:`, `.` (and, since 2025, `*`) become
 * `_`. Like the kernel it leaves the first character alone, which is always
 * the probe-type letter or a symbol's first letter.
 */
export function sanitizeEventName(name: string): string {
  return name.slice(0, 1) + name.slice(1).replace(/[:.*]/g, '_');
}

// snprintf(buf, MAX_EVENT_NAME_LEN, ...) silently truncates to 63 characters.
function truncate(name: string): string {
  return name.slice(0, LIMITS.maxNameLength);
}

/**
 * The event name the kernel would generate for a definition without one:
 * - kprobe on a symbol: `p_<[MOD:]SYM>_<OFFSET>` / `r_...`, sanitized (so `ext4:foo.isra.0`
 *   gives `p_ext4_foo_isra_0_0`);
 * - kprobe on an address: `p_0x<ADDR>`. Beware: the kernel prints the address
 *   with `%p`, which since 4.15 is a hashed value, so the real name cannot be
 *   predicted; always give address probes an explicit event name;
 * - uprobe: `p_<basename up to the first . - or _>_0x<OFFSET>`, with `p` even
 *   for return probes (the kernel hard-codes it), not sanitized;
 * - fprobe: `<SYM>__entry` / `<SYM>__exit`, sanitized;
 * - tprobe: the tracepoint name, prefixed by `_` when it starts with a digit.
 *
 * Throws for `PATH:SYMBOL` uprobes, whose name depends on the resolved offset.
 */
export function defaultEventName(def: AnyProbeDefinition): string {
  const loc = def.location;
  const letter = def.isReturn ? 'r' : 'p';
  switch (loc.type) {
    case 'ksym': {
      const symbol = loc.module === undefined ? loc.symbol : `${loc.module}:${loc.symbol}`;
      return truncate(sanitizeEventName(`${letter}_${symbol}_${loc.offset}`));
    }
    case 'kaddr':
      return truncate(`${letter}_${hex(loc.address)}`);
    case 'uoffset': {
      const base = loc.path.slice(loc.path.lastIndexOf('/') + 1);
      const tail = base.split(/[.\-_]/, 1)[0] ?? '';
      return truncate(`p_${tail}_${hex(loc.offset)}`);
    }
    case 'usym':
      return fail(
        'UNRESOLVED_SYMBOL',
        `The default event name of uprobe '${cutInput(`${loc.path}:${loc.symbol}`)}' depends on the symbol's ` +
          'file offset, which is not resolved yet.',
        'resolve the symbol first (resolveUprobeSymbols) or give the probe an explicit event name',
        { part: 'event' },
      );
    case 'function': {
      const symbol = loc.module === undefined ? loc.symbol : `${loc.module}:${loc.symbol}`;
      return truncate(sanitizeEventName(`${symbol}__${def.isReturn ? 'exit' : 'entry'}`));
    }
    case 'tracepoint':
      return truncate(/^[0-9]/.test(loc.name) ? `_${loc.name}` : loc.name);
  }
}

/** The group and event a definition's events will appear under in tracefs. */
export interface ResolvedNames {
  readonly group: string;
  readonly event: string;
}

/**
 * The group and event of `def`: its own, else `defaultGroup` (perf-bridge
 * passes an owner group such as `perfbridge_<pid>`), else the kernel default;
 * and its own event name, else the one the kernel would generate.
 */
export function namesOf(def: AnyProbeDefinition, defaultGroup?: string): ResolvedNames {
  const group = def.groupName ?? defaultGroup ?? kernelDefaultGroup(def.kind);
  const event = def.eventName ?? defaultEventName(def);
  checkName(group, 'group');
  checkName(event, 'event');
  return { group, event };
}

/** Throws unless `name` is a valid group or event name. */
export function checkName(name: string, what: 'group' | 'event'): void {
  const code = what === 'group' ? 'BAD_GROUP_NAME' : 'BAD_EVENT_NAME';
  if (name.length === 0) {
    fail(
      what === 'group' ? 'NO_GROUP_NAME' : 'NO_EVENT_NAME',
      `The ${what} name is empty.`,
      `give a ${what} name made of letters, digits and '_'`,
      { part: what },
    );
  }
  if (name.length > LIMITS.maxNameLength) {
    fail(
      what === 'group' ? 'GROUP_TOO_LONG' : 'EVENT_TOO_LONG',
      `The ${what} name '${cutInput(name)}' is ${name.length} characters long; ` +
        `the kernel allows at most ${LIMITS.maxNameLength} (MAX_EVENT_NAME_LEN is 64 with the NUL).`,
      `shorten the ${what} name`,
      { part: what },
    );
  }
  if (!isGoodName(name)) {
    const bad = /^[0-9]/.test(name)
      ? `it starts with the digit '${name[0]}'`
      : `'${/[^A-Za-z0-9_]/u.exec(name)?.[0]}' is not allowed`;
    fail(
      code,
      `The ${what} name '${cutInput(name)}' is not a valid C identifier: ${bad}.`,
      `use only letters, digits and '_', not starting with a digit (e.g. '${suggestName(name)}')`,
      { part: what },
    );
  }
}

/** Turns arbitrary text into a valid name, for hints. */
export function suggestName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_]/g, '_').slice(0, LIMITS.maxNameLength);
  return /^[A-Za-z_]/.test(cleaned) ? cleaned : `_${cleaned}`.slice(0, LIMITS.maxNameLength);
}
