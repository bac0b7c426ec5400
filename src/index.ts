/** perf-bridge: kernel events from perf ring buffers, decoded into typed objects. */
export { openSession, Session, type EventOf, type FieldsMap, type SessionStats } from './session/session.js';
export type { SessionOptions } from './session/options.js';
export type { TraceEvent } from './decode/records.js';
export { parseFormat, type EventFormat, type FormatField, type FieldDecoding } from './decode/format.js';
export { compileDecoder, type FieldsDecoder } from './decode/compile.js';
export { tracefsRoot } from './tracefs/mount.js';
export { listEvents, readEventFormat, readEventId, parseEventName } from './tracefs/events.js';
export { PerfBridgeError, KernelError, OptionError } from './errors.js';
