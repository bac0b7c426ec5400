/** Inspecting tracefs probe files from tests. */
import { readFileSync } from 'node:fs';

import { tracefsRoot } from '../../src/tracefs/mount.js';

/** The lines of a probe file (`uprobe_events`, `kprobe_events`); empty when the kernel lacks it. */
export function probeLines(file: 'uprobe_events' | 'kprobe_events' | 'dynamic_events'): string[] {
  try {
    return readFileSync(`${tracefsRoot()}/${file}`, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/** Lines of probes in perf-bridge's own groups, or in the named group. */
export function ourProbeLines(group = 'perfbridge_'): string[] {
  return [...probeLines('uprobe_events'), ...probeLines('kprobe_events')].filter((line) => line.includes(`:${group}`));
}

/** Every probe line of the three probe files. */
export function allProbeLines(): string[] {
  return [...probeLines('uprobe_events'), ...probeLines('kprobe_events'), ...probeLines('dynamic_events')];
}
