/**
 * Model → kernel text. print() validates first, so what it returns is always
 * one line the kernel accepts (and that parse() reads back as the same model).
 */
import type { AnyProbeDefinition } from './definition.js';
import { fail, ProbeDefinitionError, type ProbeErrorWhere } from './errors.js';
import { checkName, type ResolvedNames } from './names.js';
import { renderArg, renderDefinition, renderHead, renderLocation } from './render.js';
import { validate } from './validate.js';
import { cutInput } from '../errors.js';

/**
 * The definition as the line to write to `kprobe_events` (kprobes),
 * `uprobe_events` (uprobes) or `dynamic_events` (any kind), without a
 * trailing newline. Throws {@link ProbeDefinitionError} when the definition
 * is invalid or is a PATH:SYMBOL uprobe or a uprobe on a library name that has not been resolved.
 */
export function print(def: AnyProbeDefinition): string {
  try {
    return printChecked(def);
  } catch (error) {
    // Show the (unchecked) text the definition stands for, with a caret at the bad part.
    if (!(error instanceof ProbeDefinitionError) || error.definition !== undefined) throw error;
    throw error.inText(renderDefinition(def), positionIn(def, error.where));
  }
}

function positionIn(def: AnyProbeDefinition, where: ProbeErrorWhere | undefined): number | undefined {
  const head = renderHead(def);
  const locationStart = head.length + 1;
  switch (where?.part) {
    case 'head':
    case 'group':
    case 'event':
    case 'maxactive':
      return 0;
    case 'location':
      return locationStart;
    case 'arg': {
      const before = def.args.slice(0, where.argIndex ?? 0).map((a) => renderArg(a).length + 1);
      const location = renderLocation(def.location, def.isReturn && def.returnSyntax === 'suffix');
      return before.reduce((sum, n) => sum + n, locationStart + location.length + 1);
    }
    default:
      return undefined;
  }
}

function printChecked(def: AnyProbeDefinition): string {
  validate(def);
  if (def.location.type === 'usym') {
    fail(
      'UNRESOLVED_SYMBOL',
      `Uprobe location '${renderLocation(def.location, false)}' names a symbol; the kernel only takes a file offset.`,
      "resolve it first with resolveUprobeSymbols(def, resolver), e.g. with perf-bridge's ELF resolver",
      { part: 'location' },
    );
  }
  if (def.location.type === 'uoffset' && !def.location.path.includes('/')) {
    // Through uprobe_events the kernel would open the name relative to the writer's directory.
    fail(
      'UNRESOLVED_LIBRARY',
      `Uprobe target '${cutInput(def.location.path)}' is a library name; the kernel needs the file's path.`,
      'open the probe through a session, which resolves library names, or give the full path (`ldconfig -p`)',
      { part: 'location' },
    );
  }
  return renderDefinition(def);
}

/** The tracefs file a definition of this kind is written to (`dynamic_events` takes every kind). */
export function probeEventsFile(
  def: Pick<AnyProbeDefinition, 'kind'>,
): 'kprobe_events' | 'uprobe_events' | 'dynamic_events' {
  switch (def.kind) {
    case 'kprobe':
      return 'kprobe_events';
    case 'uprobe':
      return 'uprobe_events';
    default:
      return 'dynamic_events';
  }
}

/** The line that deletes the probe event `GROUP/EVENT`: `-:GROUP/EVENT`. */
export function printDeleteCommand(names: ResolvedNames): string {
  checkName(names.group, 'group');
  checkName(names.event, 'event');
  return `-:${names.group}/${names.event}`;
}
