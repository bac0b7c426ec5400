/**
 * Checks a whole definition against the kernel's rules before anything is
 * written: the model's runtime types (validate-model.ts), names, probe type vs
 * location and maxactive (validate-head.ts), the location itself
 * (validate-location.ts), every argument (validate-arg.ts) and the limits on
 * them all together, and the text as it will be written (one line, no comment
 * character, within the kernel's line length).
 */
import { LIMITS, type AnyProbeDefinition } from './definition.js';
import { fail, ProbeDefinitionError } from './errors.js';
import { describeCharacter, isControlCharacter } from './line-characters.js';
import { renderDefinition } from './render.js';
import { argDataSize, validateArg, type ArgContext } from './validate-arg.js';
import { checkMaxactive, checkNames, checkShape } from './validate-head.js';
import { checkLocation } from './validate-location.js';
import { checkModelTypes } from './validate-model.js';
import { cutInput } from '../errors.js';

/**
 * Throws {@link ProbeDefinitionError} unless `def` is a definition the kernel
 * accepts (PATH:SYMBOL uprobes pass; print() requires them resolved).
 * Returns `def` for chaining.
 */
export function validate<D extends AnyProbeDefinition>(def: D): D {
  checkModelTypes(def);
  checkShape(def);
  checkNames(def);
  checkMaxactive(def);
  checkLocation(def);
  checkArgs(def);
  checkFilter(def.filterExpression);
  if (def.location.type !== 'usym') checkDefinitionText(renderDefinition(def));
  return def;
}

/**
 * A filter must be a non-empty string; what it says is checked by the session against the
 * event's format, which exists only once the probe does.
 */
export function checkFilter(filter: string | undefined): void {
  if (filter?.trim() !== '') return;
  fail(
    'BAD_FILTER',
    'The filter expression is empty.',
    "give a tracefs filter over the event's fields, e.g. .filter('ret < 0'), or leave filter() out",
    { part: 'definition' },
  );
}

// Each argument's own rules (validate-arg.ts), then what the kernel limits over all of them: their
// number, distinct names, and the bytes they take in one record.
function checkArgs(def: AnyProbeDefinition): void {
  if (def.args.length > LIMITS.maxArgs) {
    fail(
      'TOO_MANY_ARGS',
      `The probe has ${def.args.length} arguments; the kernel allows ${LIMITS.maxArgs} (MAX_TRACE_ARGS).`,
      'split them over several probes',
      { part: 'arg', argIndex: LIMITS.maxArgs },
    );
  }
  const ctx: ArgContext = { kind: def.kind, isReturn: def.isReturn, location: def.location };
  const names = new Set<string>();
  let size = 0;
  def.args.forEach((arg, index) => {
    validateArg(arg, ctx, index, names);
    names.add(arg.name);
    size += argDataSize(arg);
    if (size > LIMITS.maxEventDataSize) {
      fail(
        'EVENT_TOO_BIG',
        `The arguments up to '${cutInput(arg.name)}' take ${size} bytes; ` +
          `the kernel allows ${LIMITS.maxEventDataSize} per event (MAX_PROBE_EVENT_SIZE).`,
        'use smaller types or shorter arrays, or split the arguments over several probes',
        { part: 'arg', argIndex: index },
      );
    }
  });
}

/**
 * Checks text that is about to be (or was) one line of a tracefs probe file:
 * no control characters (a newline would start a second command), no '#'
 * (the kernel cuts the line there), and at most 4094 characters.
 */
export function checkDefinitionText(text: string): void {
  let position = 0;
  for (const c of text) {
    if (isControlCharacter(c)) {
      throw new ProbeDefinitionError(
        `The definition contains ${describeCharacter(c)} at index ${position}; ` +
          'a definition must be a single line of printable text.',
        {
          code: 'BAD_CHARACTER',
          hint:
            c === '\n'
              ? 'pass one definition per call; never join definitions with newlines'
              : 'separate tokens with single spaces and remove control characters',
          position,
        },
      );
    }
    if (c === '#') {
      throw new ProbeDefinitionError(
        `The definition contains '#' at index ${position}; the kernel treats everything after '#' as a comment.`,
        {
          code: 'COMMENT_CHARACTER',
          hint: 'remove the #; names, paths and strings cannot contain it',
          position,
        },
      );
    }
    position += c.length;
  }
  if (text.length > LIMITS.maxDefinitionLength) {
    throw new ProbeDefinitionError(
      `The definition is ${text.length} characters long; ` +
        `the kernel reads lines of at most ${LIMITS.maxDefinitionLength}.`,
      {
        code: 'DEFINITION_TOO_LONG',
        hint: 'use fewer or shorter arguments, or split them over several probes',
      },
    );
  }
}
