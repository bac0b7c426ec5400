/** An event ready to open: its perf attributes and how its records decode. */
import { type FieldsDecoder, compileDecoder } from '../decode/compile.js';
import { type EventFormat, parseFormat } from '../decode/format.js';
import type { NativeEventSpec } from '../native.js';
import type { ResolvedStack } from './stack-option.js';
import { parseEventName, readEventFormat, readEventId } from '../tracefs/events.js';
import { tracefsRoot } from '../tracefs/mount.js';

/** PERF_TYPE_TRACEPOINT from linux/perf_event.h. */
export const PERF_TYPE_TRACEPOINT = 2;

/** Everything the session needs to open and decode one event. */
export interface ResolvedEvent {
  /** `group:name` as reported in each event. */
  name: string;
  spec: NativeEventSpec;
  /** The kernel filter the user gave, checked against `format`. */
  filter?: string;
  format: EventFormat;
  decode: FieldsDecoder;
  /** Its call stacks are captured so. */
  stack?: ResolvedStack;
}

/** Looks up a tracepoint (static or dynamic) in tracefs and compiles its decoder. */
export function resolveTracepoint(eventName: string, root: string = tracefsRoot()): ResolvedEvent {
  const event = parseEventName(eventName);
  const id = readEventId(event, root);
  const format = parseFormat(readEventFormat(event, root));
  return {
    name: `${event.group}:${event.name}`,
    spec: { type: PERF_TYPE_TRACEPOINT, config: BigInt(id) },
    format,
    decode: compileDecoder(format),
  };
}
