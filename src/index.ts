/**
 * perf-bridge: kernel events from perf ring buffers, decoded into typed objects. This is the whole
 * public API; `api/perf-bridge.api.md` lists it, and a test keeps the two in step.
 */

// Sessions: open, capture, deliver.
export {
  openSession,
  Session,
  type EventOf,
  type FieldsMap,
  type ProbeFieldsMap,
  type SessionStats,
  type SessionCommand,
} from './session/session.js';
export type { SessionOptions, ProbeInputs, FilteredEvent } from './session/options.js';
export type { CommandExit } from './process/command.js';
export type { TraceEvent } from './decode/records.js';
export type { StackOption, StackSpace } from './session/stack-option.js';
export type { StackFrame } from './symbols/frame.js';
export type { CallStack } from './symbols/stack-table.js';
export { foldedStack, frameLine, frameName } from './symbols/stack-text.js';
export { StringColumn, BytesColumn, type Column, type ColumnBatch, type EventColumns } from './decode/columns.js';

// Events and their formats.
export { tracefsRoot } from './tracefs/mount.js';
export { listEvents, readEventFormat, readEventId } from './tracefs/events.js';
export { parseFormat, type EventFormat, type FormatField, type FieldDecoding } from './decode/format.js';
export { compileDecoder, type FieldsDecoder } from './decode/compile.js';

// Dynamic probes: the builder, kernel text, and clean-up.
export { kprobe, kretprobe, uprobe, uretprobe, fentry, fexit, tprobe } from './probes/builder.js';
export type { ProbeBuilder, KprobeOptions, KretprobeOptions, UprobeOptions } from './probes/builder.js';
export {
  arg,
  atAddress,
  atFileOffset,
  atSymbol,
  comm,
  deref,
  imm,
  immString,
  reg,
  retval,
  stack,
  stackPointer,
  uderef,
  Fetch,
  type TypeSpec,
  type ValueOfType,
} from './probes/fetch.js';
export type { X86Register } from './probes/registers.js';
export { parse } from './probes/parse.js';
export { print } from './probes/print.js';
export { validate } from './probes/validate.js';
export type {
  AnyProbeDefinition,
  ArgType,
  FieldsOf,
  FieldValue,
  ProbeArg,
  ProbeDefinition,
  ProbeKind,
  ProbeLocation,
} from './probes/definition.js';
export type { ProbeInput, ProbeLeftBehind } from './probes/probe-set.js';
export { cleanup } from './probes/index-lifecycle.js';
export type { SweepResult } from './probes/sweep.js';
export type { SkippedRecord } from './probes/ownership.js';
export { resolveUprobeOffset, type UprobeTarget } from './elf/resolve.js';

// Errors: every one a caller can cause is a PerfBridgeError with a code and a hint.
export {
  PerfBridgeError,
  KernelError,
  OptionError,
  EventNameError,
  ProbeConflictError,
  RegistryError,
  ProbeLockTimeoutError,
  TracefsUnavailableError,
  type OptionErrorCode,
} from './errors.js';
export { SessionClosedError } from './session/session.js';
export { ProbeDefinitionError, type ProbeErrorCode } from './probes/errors.js';
export { ElfError, type ElfErrorCode } from './elf/errors.js';
export { FilterError } from './filter/errors.js';
export { CommandError } from './process/command-check.js';

// Everyday jobs on columnar batches: tables like bpftrace's count(), hist() and a latency, and the
// CLI's compiled text, JSON-lines and CSV serializers.
export {
  countBy,
  foldedStacks,
  histogram,
  latency,
  AggregationError,
  type Aggregation,
  type CountByOptions,
  type LatencyAggregation,
  type LatencyPair,
  type LatencySummary,
} from './aggregate/index.js';
export { EventWriter, type OutputFormat, type OutputOptions } from './output/index.js';

// Storing events: a DuckDB database with one table per event (DuckDB loaded only when used).
export {
  openStore,
  StoreError,
  type EventStore,
  type RunTotals,
  type StoreErrorCode,
  type StoreOptions,
  type StoreStats,
} from './store/index.js';

// Shipping events: Arrow record batches through NATS JetStream, collected into DuckDB.
export {
  openPublisher,
  collect,
  ShipError,
  type CollectorOptions,
  type CollectorSummary,
  type NatsPublisher,
  type PublisherOptions,
  type PublisherStats,
  type ShipErrorCode,
} from './ship/index.js';
