/**
 * The dynamic-probe definition model, for perf-bridge's own modules and tests: parse kernel probe
 * text, build definitions with typed fields, validate them against the kernel's rules and the
 * running kernel's features, and print the exact line to write to tracefs. The package's public
 * API (src/index.ts) exports only what users need of it.
 */
export {
  fieldsBrand,
  isBasicTypeName,
  isStringType,
  LIMITS,
  NUMERIC_TYPES,
  plainDefinition,
  RESERVED_FIELD_NAMES,
  STRING_TYPES,
  typeElementSize,
  type ArgType,
  type BasicTypeName,
  type FetchNode,
  type FetchOp,
  type FieldsOf,
  type FieldValue,
  type NumericTypeName,
  type ProbeArg,
  type ProbeDefinition,
  type ProbeFields,
  type ProbeKind,
  type ProbeLocation,
  type Simplify,
  type StringTypeName,
} from './definition.js';
export {
  isProbeDefinitionError,
  ProbeDefinitionError,
  type ProbeErrorCode,
  type ProbeErrorDetails,
  type ProbeErrorWhere,
} from './errors.js';
export { parse } from './parse.js';
export { parseArgToken, parseFetch, parseType } from './parse-arg.js';
export { print, printDeleteCommand, probeEventsFile } from './print.js';
export { renderArg, renderArgBody, renderFetch, renderType } from './render.js';
export { checkDefinitionText, validate } from './validate.js';
export { argDataSize, effectiveType, fetchOpCount, validateArg, type ArgContext } from './validate-arg.js';
export {
  checkName,
  defaultEventName,
  isGoodName,
  kernelDefaultGroup,
  namesOf,
  resolveNames,
  sanitizeEventName,
  type ResolvedNames,
} from './names.js';
export {
  assertSupported,
  missingFeatures,
  parseTracefsReadme,
  PROBE_FEATURES,
  requiredFeatures,
  type ProbeFeature,
  type ProbeFeatureInfo,
} from './features.js';
export { isResolved, resolveUprobeSymbols, type UprobeSymbolResolver } from './resolve.js';
export {
  isX86Register,
  registerHint,
  X86_64_ARGUMENT_REGISTERS,
  X86_64_REGISTERS,
  type X86Register,
} from './registers.js';
export {
  arg,
  atAddress,
  atFileOffset,
  atSymbol,
  comm,
  deref,
  Fetch,
  imm,
  immString,
  reg,
  retval,
  stack,
  stackPointer,
  uderef,
  type TypeSpec,
  type ValueOfType,
} from './fetch.js';
export {
  fentry,
  fexit,
  fromDefinition,
  kprobe,
  kretprobe,
  ProbeBuilder,
  tprobe,
  uprobe,
  uretprobe,
  type KprobeOptions,
  type KretprobeOptions,
  type UprobeOptions,
} from './builder.js';
