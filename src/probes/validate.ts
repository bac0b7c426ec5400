/**
 * Checks a whole definition against the kernel's rules before anything is
 * written: names, probe type vs location, maxactive, the location itself,
 * every argument (validate-arg.ts), and the text as it will be written (one
 * line, no comment character, within the kernel's line length).
 */
import {
  LIMITS,
  type AnyProbeDefinition,
  type ArgType,
  type FetchNode,
  type ProbeKind,
  type ProbeLocation,
} from './definition.js';
import { fail, ProbeDefinitionError } from './errors.js';
import { checkName } from './names.js';
import { U64_MAX } from './numbers.js';
import { renderDefinition } from './render.js';
import { argDataSize, KERNEL_SYMBOL, validateArg, type ArgContext } from './validate-arg.js';
import { cutInput } from '../errors.js';

/** ELF symbol names as perf-bridge's resolver takes them (`name`, `name@VER`, `name@@VER`, C++/Rust mangled). */
export const USER_SYMBOL = /^[A-Za-z_.$][A-Za-z0-9_.$@]*$/;
const MODULE_NAME = /^[A-Za-z0-9_-]+$/;
const TRACEPOINT_NAME = /^[A-Za-z0-9_]+$/;

const LOCATION_TYPES: Readonly<Record<ProbeKind, readonly ProbeLocation['type'][]>> = {
  kprobe: ['ksym', 'kaddr'],
  uprobe: ['uoffset', 'usym'],
  fprobe: ['function'],
  tprobe: ['tracepoint'],
};

/**
 * Throws {@link ProbeDefinitionError} unless `def` is a definition the kernel
 * accepts (PATH:SYMBOL uprobes pass; print() requires them resolved).
 * Returns `def` for chaining.
 */
export function validate<D extends AnyProbeDefinition>(def: D): D {
  checkModelTypes(def);
  checkShape(def);
  if (def.groupName !== undefined) checkName(def.groupName, 'group');
  if (def.eventName !== undefined) checkName(def.eventName, 'event');
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

// The field types of the model, for definitions that come from JavaScript without a type check.
type FieldType = 'string' | 'number' | 'bigint' | 'boolean' | 'fetch' | 'string?' | 'number?' | 'boolean?';
const LOCATION_FIELDS: Readonly<Record<ProbeLocation['type'], Readonly<Record<string, FieldType>>>> = {
  ksym: { symbol: 'string', offset: 'number', module: 'string?' },
  kaddr: { address: 'bigint' },
  uoffset: { path: 'string', offset: 'number', refCtrOffset: 'number?' },
  usym: { path: 'string', symbol: 'string', offset: 'number', refCtrOffset: 'number?' },
  function: { symbol: 'string', module: 'string?' },
  tracepoint: { name: 'string' },
};
const FETCH_FIELDS: Readonly<Record<FetchNode['op'], Readonly<Record<string, FieldType>>>> = {
  reg: { name: 'string' },
  stack: {},
  stackN: { index: 'number' },
  retval: {},
  comm: {},
  arg: { index: 'number' },
  memAddr: { address: 'bigint' },
  memSymbol: { symbol: 'string', offset: 'number' },
  fileOffset: { offset: 'number' },
  imm: { value: 'bigint' },
  immString: { value: 'string' },
  deref: { offset: 'number', user: 'boolean', target: 'fetch' },
};
const DEFINITION_FIELDS: Readonly<Record<string, FieldType>> = {
  kind: 'string',
  isReturn: 'boolean',
  maxactive: 'number?',
  groupName: 'string?',
  eventName: 'string?',
  filterExpression: 'string?',
};
const TYPE_FIELDS: Readonly<Record<ArgType['kind'], Readonly<Record<string, FieldType>>>> = {
  basic: { name: 'string', arrayLength: 'number?' },
  bitfield: { width: 'number', offset: 'number', container: 'number', arrayLength: 'number?' },
};

function malformed(what: string, value: unknown): never {
  const shown =
    typeof value === 'string'
      ? JSON.stringify(cutInput(value))
      : typeof value === 'bigint'
        ? `${value}n`
        : String(value);
  return fail(
    'MALFORMED_DEFINITION',
    `Field ${what} of the probe definition is ${shown}, which the model does not allow.`,
    'build definitions with kprobe(), uprobe(), ... or parse() rather than by hand',
    { part: 'definition' },
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** `value` if it is an object whose `key` is one of `table`'s keys; else a MALFORMED_DEFINITION error. */
function tagged(value: unknown, key: string, table: object, where: string): Record<string, unknown> {
  if (!isObject(value)) return malformed(where, value);
  const tag = value[key];
  if (typeof tag !== 'string' || !Object.hasOwn(table, tag)) return malformed(`${where}.${key}`, tag);
  return value;
}

function checkFields(object: Record<string, unknown>, fields: Readonly<Record<string, FieldType>>, where: string) {
  for (const [field, type] of Object.entries(fields)) {
    const value = object[field];
    if (type.endsWith('?') && value === undefined) continue;
    const path = where === '' ? field : `${where}.${field}`;
    if (type === 'fetch') checkFetchNode(value, path);
    else if (typeof value !== type.replace('?', '')) malformed(path, value);
  }
}

function checkFetchNode(value: unknown, where: string): void {
  const node = tagged(value, 'op', FETCH_FIELDS, where);
  checkFields(node, FETCH_FIELDS[node.op as FetchNode['op']], where);
}

/**
 * Checks that `def` has the model's shape — objects, strings, numbers and bigints where the types
 * say — so that a hand-made definition fails with a ProbeDefinitionError, never a TypeError.
 */
function checkModelTypes(def: unknown): void {
  if (!isObject(def)) {
    return fail(
      'MALFORMED_DEFINITION',
      `A probe definition must be an object, not ${String(def)}.`,
      'build definitions with kprobe(), uprobe(), ... or parse()',
      { part: 'definition' },
    );
  }
  checkFields(def, DEFINITION_FIELDS, '');
  const location = tagged(def.location, 'type', LOCATION_FIELDS, 'location');
  checkFields(location, LOCATION_FIELDS[location.type as ProbeLocation['type']], 'location');
  if (!Array.isArray(def.args)) return malformed('args', def.args);
  def.args.forEach((arg: unknown, index) => {
    if (!isObject(arg) || typeof arg.name !== 'string') {
      return malformed(`args[${index}].name`, isObject(arg) ? arg.name : arg);
    }
    checkFetchNode(arg.fetch, `args[${index}].fetch`);
    if (arg.type === undefined) return;
    const type = tagged(arg.type, 'kind', TYPE_FIELDS, `args[${index}].type`);
    checkFields(type, TYPE_FIELDS[type.kind as ArgType['kind']], `args[${index}].type`);
  });
}

function checkShape(def: AnyProbeDefinition): void {
  const where = { part: 'head' } as const;
  if (!Object.hasOwn(LOCATION_TYPES, def.kind)) {
    fail('KIND_MISMATCH', `Unknown probe kind '${cutInput(def.kind)}'.`, 'use kprobe, uprobe, fprobe or tprobe', where);
  }
  if (!LOCATION_TYPES[def.kind].includes(def.location.type)) {
    fail(
      'KIND_MISMATCH',
      `A ${def.kind} cannot have a '${def.location.type}' location.`,
      `${def.kind} locations are ${LOCATION_TYPES[def.kind].join(' or ')}`,
      { part: 'location' },
    );
  }
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

function checkMaxactive(def: AnyProbeDefinition): void {
  const n = def.maxactive;
  if (n === undefined) return;
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

function checkLocation(def: AnyProbeDefinition): void {
  const loc = def.location;
  const where = { part: 'location' } as const;
  switch (loc.type) {
    case 'ksym':
    case 'function':
      if (loc.module !== undefined && !MODULE_NAME.test(loc.module)) {
        fail(
          'BAD_MODULE',
          `'${cutInput(loc.module)}' is not a module name.`,
          'module names contain letters, digits, _ and -',
          where,
        );
      }
      if (!KERNEL_SYMBOL.test(loc.symbol)) {
        // 'true:0x2000' is read as MODULE:SYMBOL: a uprobe path needs a '/'.
        const uprobeMeant = loc.module !== undefined && /^[0-9]/.test(loc.symbol);
        const uprobePath = `./${cutInput(loc.module ?? '')}:${cutInput(loc.symbol)}`;
        const hint = uprobeMeant
          ? `for a uprobe, give the file's path with a '/': ${uprobePath}, or better /full/path:OFFSET`
          : /[+-]/.test(loc.symbol)
            ? 'give the offset separately (the offset option of kprobe(), or SYMBOL+OFFSET in text); ' +
              'fprobes take no offset'
            : 'kernel symbols contain letters, digits, _ and . and do not start with a digit ' +
              '(write an address as 0x...)';
        fail('BAD_SYMBOL', `'${cutInput(loc.symbol)}' is not a kernel symbol name.`, hint, where);
      }
      if (loc.type === 'ksym') {
        if (!Number.isSafeInteger(loc.offset) || loc.offset < 0 || loc.offset > LIMITS.maxSymbolOffset) {
          fail(
            'BAD_PROBE_ADDR',
            `Offset ${loc.offset} after '${cutInput(loc.symbol)}' is out of range.`,
            'use 0 to 4294967295 bytes',
            where,
          );
        }
        if (def.isReturn && loc.offset !== 0) {
          fail(
            'BAD_RETPROBE',
            `A return probe must be at a function entry, not at ${cutInput(loc.symbol)}+${loc.offset}.`,
            `probe ${cutInput(loc.symbol)} (offset 0), or use an entry probe at ${cutInput(loc.symbol)}+${loc.offset}`,
            where,
          );
        }
      }
      return;
    case 'kaddr':
      if (loc.address <= 0n || loc.address > U64_MAX) {
        fail(
          'BAD_PROBE_ADDR',
          `0x${loc.address.toString(16)} is not a kernel address.`,
          'use a non-zero 64-bit address',
          where,
        );
      }
      return;
    case 'uoffset':
    case 'usym':
      checkPath(loc.path);
      if (!Number.isSafeInteger(loc.offset) || loc.offset < 0) {
        fail(
          'BAD_UPROBE_OFFS',
          `Uprobe offset ${loc.offset} is not a file offset.`,
          'use a non-negative whole number',
          where,
        );
      }
      if (loc.type === 'usym' && !USER_SYMBOL.test(loc.symbol)) {
        fail(
          'BAD_SYMBOL',
          `'${cutInput(loc.symbol)}' is not a symbol name.`,
          'write PATH:SYMBOL[+OFFSET] with an ELF symbol name (name, name@VERSION), or PATH:OFFSET',
          where,
        );
      }
      if (loc.refCtrOffset !== undefined && (!Number.isSafeInteger(loc.refCtrOffset) || loc.refCtrOffset < 1)) {
        fail(
          'BAD_REFCNT',
          `Reference counter offset ${loc.refCtrOffset} is not valid.`,
          'use the positive file offset of the SDT semaphore, or leave it out (the kernel treats 0 as none)',
          where,
        );
      }
      return;
    case 'tracepoint':
      if (!TRACEPOINT_NAME.test(loc.name)) {
        fail(
          'BAD_TP_NAME',
          `'${cutInput(loc.name)}' is not a tracepoint name.`,
          'tracepoint names contain letters, digits and _ only (e.g. sched_switch)',
          where,
        );
      }
      return;
  }
}

/** A library name as a uprobe target: what a file name can be, except `.` and `..`. */
const LIBRARY_NAME = /^[A-Za-z0-9_+.-]+$/;

function checkPath(path: string): void {
  const where = { part: 'location' } as const;
  if (path.length === 0) {
    fail('BAD_PATH', 'The uprobe path is empty.', 'give the path of the executable or library', where);
  }
  checkToken(path, 'uprobe path', 'BAD_PATH', where);
  // Without a '/', the target is a library name, resolved to a file before anything is printed.
  if (!path.includes('/') && (!LIBRARY_NAME.test(path) || path === '.' || path === '..')) {
    fail(
      'BAD_PATH',
      `Uprobe target '${cutInput(path)}' is neither a path (it has no '/') nor a library name.`,
      `write ./${cutInput(path)} for a file in the current directory, an absolute path, or a library name like libc`,
      where,
    );
  }
  if (path.endsWith('/')) {
    fail('BAD_PATH', `Uprobe path '${cutInput(path)}' names a directory.`, 'give the path of a regular file', where);
  }
}

// A value written as part of one token must not split the token or the line.
function checkToken(value: string, what: string, code: 'BAD_PATH', where: { part: 'location' }): void {
  // What isControl() refuses: \p{Cc} (C0, DEL, C1), and U+2028/U+2029, which \s covers.
  const c = /[\s#\p{Cc}]/u.exec(value)?.[0];
  if (c === undefined) return;
  const why =
    c === ' '
      ? 'a space would split it into two tokens'
      : c === '#'
        ? "'#' starts a comment in the kernel's parser"
        : `${describe(c)} is a control character; it could end the line and start another command`;
  fail(
    code,
    `The ${what} '${cutInput(JSON.stringify(value).slice(1, -1))}' contains ${describe(c)}: ${why}.`,
    'use a path without spaces, control characters or # (e.g. through a symlink)',
    where,
  );
}

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

function isControl(c: string): boolean {
  const code = c.codePointAt(0) ?? 0;
  return code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029;
}

function describe(c: string): string {
  const names: Record<string, string> = {
    '\n': 'a newline',
    '\r': 'a carriage return',
    '\t': 'a tab',
    ' ': 'a space',
    '#': "'#'",
    '\0': 'a NUL byte',
  };
  return names[c] ?? `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Checks text that is about to be (or was) one line of a tracefs probe file:
 * no control characters (a newline would start a second command), no '#'
 * (the kernel cuts the line there), and at most 4094 characters.
 */
export function checkDefinitionText(text: string): void {
  let position = 0;
  for (const c of text) {
    if (isControl(c)) {
      throw new ProbeDefinitionError(
        `The definition contains ${describe(c)} at index ${position}; ` +
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
