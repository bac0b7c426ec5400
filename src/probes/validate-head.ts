/**
 * Checks what the head of a definition says against the kernel's rules: the probe kind and the
 * location type it goes with, the return form (`r` prefix or `%return` suffix), maxactive, and the
 * group and event names.
 */
import { LIMITS, type AnyProbeDefinition, type ProbeKind, type ProbeLocation } from './definition.js';
import { fail } from './errors.js';
import { checkName } from './names.js';
import { cutInput } from '../errors.js';

const LOCATION_TYPES: Readonly<Record<ProbeKind, readonly ProbeLocation['type'][]>> = {
  kprobe: ['ksym', 'kaddr'],
  uprobe: ['uoffset', 'usym'],
  fprobe: ['function'],
  tprobe: ['tracepoint'],
};

/** Checks the probe kind, that the location type goes with it, and the return form. */
export function checkShape(def: AnyProbeDefinition): void {
  checkKind(def);
  checkReturnForm(def);
}

/** Checks the group and event names, when given, against the kernel's rules for names. */
export function checkNames(def: AnyProbeDefinition): void {
  if (def.groupName !== undefined) checkName(def.groupName, 'group');
  if (def.eventName !== undefined) checkName(def.eventName, 'event');
}

/** Checks that maxactive, when given, is on a probe that has one and within the kernel's range. */
export function checkMaxactive(def: AnyProbeDefinition): void {
  const n = def.maxactive;
  if (n === undefined) return;
  checkMaxactiveApplies(def, n);
  checkMaxactiveRange(n);
}

function checkKind(def: AnyProbeDefinition): void {
  if (!Object.hasOwn(LOCATION_TYPES, def.kind)) {
    fail('KIND_MISMATCH', `Unknown probe kind '${cutInput(def.kind)}'.`, 'use kprobe, uprobe, fprobe or tprobe', {
      part: 'head',
    });
  }
  if (!LOCATION_TYPES[def.kind].includes(def.location.type)) {
    fail(
      'KIND_MISMATCH',
      `A ${def.kind} cannot have a '${def.location.type}' location.`,
      `${def.kind} locations are ${LOCATION_TYPES[def.kind].join(' or ')}`,
      { part: 'location' },
    );
  }
}

// Whether the probe is a return probe, how that is written, and whether this kind and location
// can be one written that way.
function checkReturnForm(def: AnyProbeDefinition): void {
  const where = { part: 'head' } as const;
  if (def.isReturn !== (def.returnSyntax !== undefined)) {
    fail(
      'KIND_MISMATCH',
      def.isReturn
        ? 'A return probe needs returnSyntax (prefix or suffix).'
        : 'returnSyntax is set on a probe that is not a return probe.',
      "set returnSyntax exactly when isReturn is true ('prefix' writes r..., 'suffix' writes ...%return)",
      where,
    );
  }
  if (def.kind === 'tprobe' && def.isReturn) {
    fail(
      'BAD_ADDR_SUFFIX',
      'A tracepoint probe cannot be a return probe.',
      'drop isReturn; tracepoints have no exit',
      where,
    );
  }
  if (def.kind === 'fprobe' && def.returnSyntax === 'prefix') {
    fail(
      'BAD_PROBE_TYPE',
      "An fprobe exit is written FUNCTION%return; fprobes have no 'r' prefix.",
      "use returnSyntax 'suffix'",
      where,
    );
  }
  if (def.returnSyntax === 'suffix' && def.location.type === 'kaddr') {
    fail(
      'BAD_ADDR_SUFFIX',
      `'%return' cannot follow an address (${def.location.address.toString(16)}).`,
      "use the 'r' prefix (returnSyntax 'prefix') for a return probe on an address",
      { part: 'location' },
    );
  }
}

// Only kretprobes and fprobe exits have a maxactive count.
function checkMaxactiveApplies(def: AnyProbeDefinition, n: number): void {
  const where = { part: 'maxactive' } as const;
  if (def.kind === 'uprobe' || def.kind === 'tprobe') {
    fail(
      'BAD_MAXACT_TYPE',
      `maxactive (${n}) is set on a ${def.kind}, which has none.`,
      'remove it: maxactive is for kretprobes and fprobe exits ' +
        `(the kernel would silently ignore 'r${n}' on a uprobe, together with the event name)`,
      where,
    );
  }
  if (!def.isReturn) {
    const how = def.kind === 'fprobe' ? 'write f<N>: with FUNCTION%return' : 'use r<N>:';
    fail(
      'BAD_MAXACT_TYPE',
      `maxactive (${n}) is set on an entry probe.`,
      `maxactive only applies to return probes: ${how}, or remove it`,
      where,
    );
  }
}

function checkMaxactiveRange(n: number): void {
  const where = { part: 'maxactive' } as const;
  if (!Number.isSafeInteger(n) || n < 1) {
    fail(
      'BAD_MAXACT',
      `maxactive ${n} is not a positive integer.`,
      'use 1 to 4096, or leave it out for the kernel default',
      where,
    );
  }
  if (n > LIMITS.maxMaxactive) {
    fail(
      'MAXACT_TOO_BIG',
      `maxactive ${n} is too big; the kernel allows ${LIMITS.maxMaxactive} (KRETPROBE_MAXACTIVE_MAX).`,
      `use at most ${LIMITS.maxMaxactive}`,
      where,
    );
  }
}
