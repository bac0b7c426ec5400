/**
 * Checks the NAME of one `NAME=FETCHARG[:TYPE]` argument: the name becomes a field of the event, so
 * it must be a C identifier within the kernel's length limit, must not clash with the fields every
 * event already has, and must differ from the names of the arguments before it.
 */
import { LIMITS, RESERVED_FIELD_NAMES } from './definition.js';
import { isGoodName, suggestName } from './names.js';
import type { RejectArg } from './validate-arg.js';
import { cutInput } from '../errors.js';

/** Checks `name` as written, then that it is free: not reserved and not in `earlierNames`. */
export function checkArgName(name: string, earlierNames: ReadonlySet<string>, reject: RejectArg): void {
  checkArgNameSpelling(name, reject);
  checkArgNameFree(name, earlierNames, reject);
}

// What the kernel's parser accepts as a field name: non-empty, short enough, an identifier.
function checkArgNameSpelling(name: string, reject: RejectArg): void {
  if (name.length === 0) {
    reject('NO_ARG_NAME', 'An argument has an empty name.', 'give every argument a name made of letters, digits and _');
  }
  if (name.length > LIMITS.maxArgNameLength) {
    reject(
      'ARG_NAME_TOO_LONG',
      `Argument name '${cutInput(name)}' is ${name.length} characters long; ` +
        `the kernel allows ${LIMITS.maxArgNameLength} (MAX_ARG_NAME_LEN).`,
      `shorten it, e.g. '${cutInput(name.slice(0, LIMITS.maxArgNameLength))}'`,
    );
  }
  if (!isGoodName(name)) {
    reject(
      'BAD_ARG_NAME',
      `Argument name '${cutInput(name)}' is not a valid C identifier.`,
      `use letters, digits and _ not starting with a digit, e.g. '${suggestName(name)}'`,
    );
  }
}

// A field name must not be taken already, by the event's own fields or an earlier argument.
function checkArgNameFree(name: string, earlierNames: ReadonlySet<string>, reject: RejectArg): void {
  if (RESERVED_FIELD_NAMES.includes(name)) {
    reject(
      'RESERVED_ARG_NAME',
      `Argument name '${cutInput(name)}' is reserved: every probe event already has a field of that name.`,
      `rename it, e.g. '${name.replace(/^_+/, '')}_value'`,
    );
  }
  if (name.startsWith('common_')) {
    // Stricter than the kernel (which reserves only the exact names above): common_* is the
    // prefix of the header fields every event's format file has, and some kernels add more.
    reject(
      'RESERVED_ARG_NAME',
      `Argument name '${cutInput(name)}' starts with 'common_', the prefix of the fields every trace event has.`,
      `rename it, e.g. '${cutInput(name.slice('common_'.length) || 'value')}'`,
    );
  }
  if (earlierNames.has(name)) {
    reject('USED_ARG_NAME', `Argument name '${cutInput(name)}' is used twice.`, 'give each argument its own name');
  }
}
