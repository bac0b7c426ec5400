/**
 * What a capture holds while open and must give back when closed: file descriptors, perf ring
 * mappings (which keep an event alive even after its fd is closed), probe lines in tracefs, and
 * memory retained on the JS heap and in ArrayBuffers. A snapshot of each, and how two differ.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { openFds } from '../helpers/processes.js';
import { ourProbeLines } from '../helpers/tracefs-state.js';

/** Retained memory growth over a phase above which the phase counts as leaking (16 KiB a cycle over 2,000). */
export const RETAINED_GROWTH_LIMIT = 32 * 1024 * 1024;

/** The held resources at one moment. */
export interface ResourceSnapshot {
  /** Open fds as `fd -> target`. */
  fds: string[];
  /** Lines of /proc/self/maps that map a perf event's ring. */
  perfMappings: number;
  /**
   * Probe lines (kprobe_events, uprobe_events) of this process's own groups: other processes'
   * probes come and go while the soak runs, and are none of its business.
   */
  probeLines: string[];
  /** JS heap in use plus ArrayBuffer memory, after garbage collection has settled. */
  retainedBytes: number;
}

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

function perfMappings(): number {
  return readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .filter((line) => line.includes('perf_event')).length;
}

/**
 * Collects garbage until it settles, then records what the process holds. V8 frees ArrayBuffer
 * memory and runs native finalizers in tasks after a collection, so the event loop must turn
 * between collections for dead memory to stop counting.
 */
export async function snapshot(): Promise<ResourceSnapshot> {
  for (let round = 0; round < 3; round++) {
    collectGarbage();
    await nextTurn();
  }
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return {
    fds: openFds().flatMap(describeFd),
    perfMappings: perfMappings(),
    probeLines: ourProbeLines(`perfbridge_${process.pid}_`).sort(),
    retainedBytes: heapUsed + arrayBuffers,
  };
}

/** What `after` holds that `before` did not, as readable problems; empty when nothing leaked. */
export function leaksBetween(before: ResourceSnapshot, after: ResourceSnapshot): string[] {
  const problems: string[] = [];
  const newFds = after.fds.filter((fd) => !before.fds.includes(fd));
  if (newFds.length > 0) {
    problems.push(`${newFds.length} fd(s) still open: ${newFds.slice(0, 5).join(', ')}`);
  }
  if (after.perfMappings !== before.perfMappings) {
    problems.push(`perf ring mappings ${before.perfMappings} -> ${after.perfMappings}`);
  }
  const newLines = after.probeLines.filter((line) => !before.probeLines.includes(line));
  if (newLines.length > 0) {
    problems.push(`${newLines.length} probe line(s) left: ${newLines.slice(0, 3).join(' | ')}`);
  }
  const growth = after.retainedBytes - before.retainedBytes;
  if (growth > RETAINED_GROWTH_LIMIT) problems.push(`retained memory grew by ${(growth / 1048576).toFixed(1)} MiB`);
  return problems;
}

/** `fd -> target`, or nothing for the fd that listed /proc/self/fd (closed again by now). */
function describeFd(fd: string): string[] {
  try {
    return [`${fd} -> ${readlinkSync(`/proc/self/fd/${fd}`)}`];
  } catch {
    return [];
  }
}
