/** Locating (and, as root, mounting) tracefs. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { PerfBridgeError } from '../errors.js';

/** Where tracefs is mounted by default on modern kernels. */
export const DEFAULT_TRACEFS_PATH = '/sys/kernel/tracing';

/** One line of /proc/self/mountinfo, reduced to what we need. */
export interface MountEntry {
  mountPoint: string;
  fsType: string;
}

/** Undoes the octal escapes (`\040` for a space, ...) the kernel uses in mountinfo paths. */
function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** Parses /proc/self/mountinfo text: fields before ` - ` then fstype after it. */
export function parseMountInfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const separator = line.indexOf(' - ');
    if (separator < 0) continue;
    const before = line.slice(0, separator).split(' ');
    const after = line.slice(separator + 3).split(' ');
    if (before.length < 5 || after.length < 1) continue;
    entries.push({ mountPoint: unescapeMountPath(before[4]!), fsType: after[0]! });
  }
  return entries;
}

/** Picks the tracefs directory from mount entries: tracefs itself, else debugfs's `tracing`. */
export function tracefsFromMounts(entries: MountEntry[], exists: (path: string) => boolean = existsSync): string | undefined {
  const tracefs = entries.find((entry) => entry.fsType === 'tracefs');
  if (tracefs) return tracefs.mountPoint;
  for (const entry of entries) {
    if (entry.fsType === 'debugfs' && exists(join(entry.mountPoint, 'tracing', 'events'))) {
      return join(entry.mountPoint, 'tracing');
    }
  }
  return undefined;
}

let cached: string | undefined;

/**
 * Returns the tracefs directory. Mounts tracefs at /sys/kernel/tracing when none is mounted and we
 * are root; otherwise throws an error that says how to mount it.
 */
export function tracefsRoot(): string {
  if (cached !== undefined && existsSync(join(cached, 'events'))) return cached;
  const found = tracefsFromMounts(parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8')));
  if (found !== undefined) return (cached = found);
  if (process.getuid?.() !== 0) {
    throw new PerfBridgeError('tracefs is not mounted, and only root can mount it', {
      hint: `as root run: mount -t tracefs nodev ${DEFAULT_TRACEFS_PATH}`,
    });
  }
  try {
    execFileSync('mount', ['-t', 'tracefs', 'nodev', DEFAULT_TRACEFS_PATH], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new PerfBridgeError(`could not mount tracefs at ${DEFAULT_TRACEFS_PATH}: ${stderr || String(error)}`, {
      hint: 'check that the kernel has CONFIG_TRACING, or mount it yourself and retry',
      cause: error,
    });
  }
  return (cached = DEFAULT_TRACEFS_PATH);
}
