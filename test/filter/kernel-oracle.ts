/**
 * The running kernel as the judge of filters: `testFilter` sets a filter on a fresh perf fd of a
 * tracepoint (the addon's `testFilter`, PERF_EVENT_IOC_SET_FILTER) and reports the errno.
 *
 * Closing the last perf fd of a tracepoint unregisters it, which waits for RCU (some 35 ms); so the
 * first test of each tracepoint opens a disabled capture of it that holds it registered (0.02 ms a
 * test then) until {@link releaseTracepoints}.
 */
import { existsSync } from 'node:fs';

import { parseFormat, type EventFormat } from '../../src/decode/format.js';
import { type NativeCapture, native } from '../../src/native.js';
import { parseEventName, readEventFormat, readEventId } from '../../src/tracefs/events.js';

/** Sets `filter` on a new perf fd of tracepoint `id`: 0 when the kernel takes it, else the errno. */
export type KernelFilterTest = (id: number, filter: string) => number;

/** The kernel's filter test, or why there is none (as a skip reason). */
export function kernelFilterTest(): KernelFilterTest | string {
  if (process.getuid?.() !== 0) return 'perf tracepoint fds need root';
  if (!existsSync('/sys/kernel/tracing/events/sched/sched_switch/id')) return 'tracefs is not at /sys/kernel/tracing';
  let addon: ReturnType<typeof native>;
  try {
    addon = native();
  } catch (error) {
    return `the addon does not load: ${String(error)}`;
  }
  const test = (addon as Partial<typeof addon>).testFilter;
  if (typeof test !== 'function') return 'the built addon has no testFilter (rebuild it: npm run build:native)';
  return (id, filter) => {
    if (!held.has(id)) held.set(id, holdTracepoint(addon, id));
    return test.call(addon, BigInt(id), filter);
  };
}

const held = new Map<number, NativeCapture>();

/** A disabled capture of tracepoint `id` on CPU 0: nothing is recorded, the tracepoint stays registered. */
function holdTracepoint(addon: ReturnType<typeof native>, id: number): NativeCapture {
  const options = { events: [{ type: 2, config: BigInt(id) }], cpus: [0], targets: [-1], inherit: false, ringPages: 1 };
  return new addon.Capture(options, () => undefined);
}

/** Closes the captures that held tracepoints registered. */
export function releaseTracepoints(): void {
  for (const capture of held.values()) capture.close();
  held.clear();
}

/** An event of the host kernel: its tracepoint id and format, or undefined when it lacks the event. */
export function hostEvent(name: string): { id: number; format: EventFormat } | undefined {
  const event = parseEventName(name);
  if (!existsSync(`/sys/kernel/tracing/events/${event.group}/${event.name}/format`)) return undefined;
  return { id: readEventId(event), format: parseFormat(readEventFormat(event)) };
}
