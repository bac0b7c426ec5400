/** perf-bridge: kernel events from perf ring buffers, decoded into typed objects. */
export { openSession, Session, type EventOf, type FieldsMap, type ProbeFieldsMap, type SessionStats } from './session/session.js';
export type { SessionOptions, ProbeInputs } from './session/options.js';
export type { TraceEvent } from './decode/records.js';
export { StringColumn, BytesColumn, type Column, type ColumnBatch, type EventColumns } from './decode/columns.js';
export { parseFormat, type EventFormat, type FormatField, type FieldDecoding } from './decode/format.js';
export { compileDecoder, type FieldsDecoder } from './decode/compile.js';
export { tracefsRoot } from './tracefs/mount.js';
export { listEvents, readEventFormat, readEventId, parseEventName } from './tracefs/events.js';
export { PerfBridgeError, KernelError, OptionError } from './errors.js';
export * from './probes/index.js';
export { cleanup } from './probes/index-lifecycle.js';
export type { ProbeInput } from './probes/probe-set.js';
export { resolveUprobeOffset, type UprobeTarget } from './elf/resolve.js';
