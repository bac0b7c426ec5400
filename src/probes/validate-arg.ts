/**
 * Rules for one argument (`NAME=FETCHARG[:TYPE]`), mirroring
 * traceprobe_parse_probe_arg() and friends in kernel/trace/trace_probe.c.
 * validateArg() checks the name (validate-arg-name.ts), what each fetch form
 * needs from the probe (validate-arg-fetch.ts) and which types go with which
 * fetches (validate-arg-type.ts), then the limits on the argument as a whole:
 * its fetch instruction count and expression length. argDataSize() measures
 * the bytes it takes in a record, which validate.ts adds up over all arguments.
 */
import {
  LIMITS,
  typeElementSize,
  type ArgType,
  type FetchNode,
  type ProbeArg,
  type ProbeKind,
  type ProbeLocation,
} from './definition.js';
import { fail, type ProbeErrorCode } from './errors.js';
import { renderArgBody, renderFetch } from './render.js';
import { checkFetch, isMemoryFetch } from './validate-arg-fetch.js';
import { checkArgName } from './validate-arg-name.js';
import { checkType } from './validate-arg-type.js';
import { cutInput } from '../errors.js';

/** What an argument's rules depend on: the probe it belongs to. */
export interface ArgContext {
  readonly kind: ProbeKind;
  readonly isReturn: boolean;
  readonly location: ProbeLocation;
}

/**
 * Throws the {@link ProbeDefinitionError} for one broken rule of one argument, with the argument's
 * index attached; the name, fetch and type checks all report through it.
 */
export type RejectArg = (code: ProbeErrorCode, message: string, hint: string) => never;

/** The type the kernel gives the argument: `$comm` and immediate strings default to `string`. */
export function effectiveType(arg: ProbeArg): ArgType | undefined {
  if (arg.type === undefined && (arg.fetch.op === 'comm' || arg.fetch.op === 'immString'))
    return { kind: 'basic', name: 'string' };
  return arg.type;
}

/** Bytes the argument takes in the fixed part of the record (what MAX_PROBE_EVENT_SIZE counts). */
export function argDataSize(arg: ProbeArg): number {
  const type = effectiveType(arg);
  return typeElementSize(type) * (type?.arrayLength ?? 1);
}

// Instructions the kernel's parser emits for a fetch tree (before store/modify ops).
function loadOps(node: FetchNode): number {
  switch (node.op) {
    case 'deref':
      return 1 + loadOps(node.target);
    case 'memAddr':
    case 'fileOffset':
      return 2;
    case 'memSymbol':
      return 3;
    default:
      return 1;
  }
}

/** Fetch instructions the kernel needs for the argument (it has room for {@link LIMITS.maxFetchOps}). */
export function fetchOpCount(arg: ProbeArg): number {
  const type = effectiveType(arg);
  const dentry = type?.kind === 'basic' ? (({ '%pd': 2, '%pD': 3 } as Record<string, number>)[type.name] ?? 0) : 0;
  const top = arg.fetch;
  let ops = loadOps(top) + dentry;
  const memory = isMemoryFetch(top) || dentry > 0;
  const array = type?.arrayLength !== undefined;
  if (type?.kind === 'basic' && ['string', 'ustring', 'symstr'].includes(type.name)) {
    if (type.name === 'symstr' || !memory || array) ops += 1;
  } else if (!memory) {
    ops += 1; // a raw store after a register/stack/immediate load
  }
  if (type?.kind === 'bitfield') ops += 1;
  if (array) ops += 1;
  return ops;
}

/**
 * Checks argument number `index` of a probe; `earlierNames` are the names of
 * the arguments before it. Throws {@link ProbeDefinitionError}.
 */
export function validateArg(arg: ProbeArg, ctx: ArgContext, index: number, earlierNames: ReadonlySet<string>): void {
  const reject = argRejecter(index);
  checkArgName(arg.name, earlierNames, reject);
  const label = `argument '${cutInput(arg.name)}'`;
  checkFetch(arg.fetch, ctx, label, reject);
  checkType(arg, ctx, label, reject);
  checkFetchOpCount(arg, label, reject);
  checkExpressionLength(arg, label, reject);
}

// Messages often start with the argument's label; sentences start upper-case.
function argRejecter(index: number): RejectArg {
  const where = { part: 'arg', argIndex: index } as const;
  return (code, message, hint) => fail(code, message.charAt(0).toUpperCase() + message.slice(1), hint, where);
}

function checkFetchOpCount(arg: ProbeArg, label: string, reject: RejectArg): void {
  const ops = fetchOpCount(arg);
  if (ops > LIMITS.maxFetchOps) {
    reject(
      'TOO_MANY_OPS',
      `${label} needs ${ops} fetch instructions; the kernel has room for ${LIMITS.maxFetchOps} (FETCH_INSN_MAX).`,
      'nest fewer dereferences',
    );
  }
}

function checkExpressionLength(arg: ProbeArg, label: string, reject: RejectArg): void {
  const body = expandedBody(arg);
  if (body.length > LIMITS.maxArgExpressionLength) {
    reject(
      'ARG_TOO_LONG',
      `The expression of ${label} is ${body.length} characters ('${cutInput(body)}'); ` +
        `the kernel allows ${LIMITS.maxArgExpressionLength} (MAX_ARGSTR_LEN).`,
      'shorten it: fewer nested dereferences or a shorter symbol name; the name before "=" does not count',
    );
  }
}

// %pd/%pD are rewritten by the kernel into dereferences before the length check;
// struct offsets are assumed to print as two hex digits (true on x86_64 builds we know).
function expandedBody(arg: ProbeArg): string {
  if (arg.type?.kind === 'basic' && arg.type.name === '%pd') return `+0x0(+0x00(${renderFetch(arg.fetch)})):string`;
  if (arg.type?.kind === 'basic' && arg.type.name === '%pD')
    return `+0x0(+0x00(+0x00(${renderFetch(arg.fetch)}))):string`;
  return renderArgBody(arg);
}
