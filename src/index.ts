/** perf-bridge: kernel events from perf ring buffers, decoded into typed objects. */
export {
  openSession,
  Session,
  SessionClosedError,
  type EventOf,
  type FieldsMap,
  type ProbeFieldsMap,
  type SessionStats,
} from './session/session.js';
export type { SessionOptions, ProbeInputs } from './session/options.js';
export type { TraceEvent } from './decode/records.js';
export { StringColumn, BytesColumn, type Column, type ColumnBatch, type EventColumns } from './decode/columns.js';
export { parseFormat, type EventFormat, type FormatField, type FieldDecoding } from './decode/format.js';
export { compileDecoder, type FieldsDecoder } from './decode/compile.js';
export { tracefsRoot } from './tracefs/mount.js';
export { listEvents, readEventFormat, readEventId, parseEventName } from './tracefs/events.js';
export {
  PerfBridgeError,
  KernelError,
  OptionError,
  EventNameError,
  ProbeConflictError,
  type OptionErrorCode,
} from './errors.js';
export { RegistryError } from './probes/registry-dir.js';
export { ProbeLockTimeoutError } from './probes/probe-lock.js';
export * from './probes/index.js';
export { cleanup } from './probes/index-lifecycle.js';
export type { ProbeInput } from './probes/probe-set.js';
export { resolveUprobeOffset, type UprobeTarget } from './elf/resolve.js';
export { checkUprobeFileOffset } from './elf/file-offset.js';
export { ElfError, isElfError, type ElfErrorCode } from './elf/errors.js';
export type { UprobeOffsetChecker } from './probes/resolve.js';
