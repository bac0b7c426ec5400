/** Locating (and, as root, mounting) tracefs. */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { TracefsUnavailableError, kernelErrorFrom } from '../errors.js';

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
export function tracefsFromMounts(
  entries: MountEntry[],
  exists: (path: string) => boolean = existsSync,
): string | undefined {
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

/** Tracefs needs root: its directory is mode 0700, and only CAP_SYS_ADMIN may mount it. */
const ROOT_HINT = 'tracefs needs root (or CAP_SYS_ADMIN): run as root';

/** Throws a {@link KernelError} when this process may not read the tracefs directory at `root`. */
function assertReadable(root: string): void {
  try {
    accessSync(root, constants.R_OK | constants.X_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const hint =
      code === 'EACCES' || code === 'EPERM'
        ? `${ROOT_HINT}, or mount tracefs with gid= for a trusted group (${root} is readable by root only now)`
        : undefined;
    throw kernelErrorFrom(error, `cannot read tracefs at ${root}`, { hint });
  }
}

/**
 * Mounts tracefs at {@link DEFAULT_TRACEFS_PATH} with mount(8), which reports its errno only as
 * text: a failure is a {@link TracefsUnavailableError} quoting that text, not a KernelError.
 */
function mountTracefs(): void {
  try {
    execFileSync('mount', ['-t', 'tracefs', 'nodev', DEFAULT_TRACEFS_PATH], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    const reason = stderr === undefined || stderr === '' ? String(error) : stderr;
    const denied = /permission denied|not permitted|must be superuser/i.test(reason);
    throw new TracefsUnavailableError(`could not mount tracefs at ${DEFAULT_TRACEFS_PATH}: ${reason}`, {
      code: 'TRACEFS_MOUNT_FAILED',
      hint: denied
        ? 'mounting tracefs needs root with CAP_SYS_ADMIN (a container may lack it): mount it on the host, ' +
          'or grant the capability'
        : 'check that the kernel has CONFIG_TRACING, or mount it yourself and retry',
      cause: error,
    });
  }
}

/**
 * Returns the tracefs directory. Mounts tracefs at /sys/kernel/tracing when none is mounted and we
 * are root. Throws a {@link KernelError} when tracefs cannot be read (root is needed), and a
 * {@link TracefsUnavailableError} when none is mounted and this process cannot mount one.
 */
export function tracefsRoot(): string {
  if (cached !== undefined && existsSync(join(cached, 'events'))) return cached;
  const found = tracefsFromMounts(parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8')));
  if (found !== undefined) {
    assertReadable(found);
    return (cached = found);
  }
  if (process.getuid?.() !== 0) {
    throw new TracefsUnavailableError('tracefs is not mounted, and only root can mount it', {
      code: 'TRACEFS_NOT_MOUNTED',
      hint: `${ROOT_HINT}, or as root: mount -t tracefs nodev ${DEFAULT_TRACEFS_PATH}`,
    });
  }
  mountTracefs();
  return (cached = DEFAULT_TRACEFS_PATH);
}
