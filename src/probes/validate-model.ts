/**
 * Checks the runtime types of a definition that may come from JavaScript without a type check (or
 * from JSON): every field the model has must hold the kind of value its type says, before any rule
 * reads it. The kernel's rules come after, in the other validate-*.ts files.
 */
import type { ArgType, FetchNode, ProbeLocation } from './definition.js';
import { fail } from './errors.js';
import { cutInput } from '../errors.js';

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
export function checkModelTypes(def: unknown): void {
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
