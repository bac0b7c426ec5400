/**
 * The directory of ownership records. Root acts on what it reads there (it deletes the probes a
 * record names), so the directory must be one nobody else can write: created 0700, then checked
 * (a real directory, owned by the effective uid, no group or other write) every time it is used.
 * There is no shared fallback such as /tmp, where anyone could create the directory first.
 */
import { chmodSync, lstatSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { RegistryError } from '../errors.js';

/** Where records live: `$PERF_BRIDGE_REGISTRY_DIR`, /run/perf-bridge for root, else `$XDG_RUNTIME_DIR`. */
function registryLocation(): string {
  const configured = process.env.PERF_BRIDGE_REGISTRY_DIR;
  if (configured) return configured;
  if (process.geteuid?.() === 0) return '/run/perf-bridge';
  const runtime = process.env.XDG_RUNTIME_DIR;
  if (runtime) return join(runtime, 'perf-bridge');
  throw new RegistryError(
    'no private directory for perf-bridge ownership records',
    'NO_REGISTRY',
    'run as root (records go to /run/perf-bridge), or set PERF_BRIDGE_REGISTRY_DIR to a directory only you can write',
  );
}

/** Why `dir` is unsafe to act on, or undefined when it is a private directory of ours. */
function unsafeReason(dir: string): string | undefined {
  const stat = lstatSync(dir);
  if (stat.isSymbolicLink()) return 'it is a symbolic link';
  if (!stat.isDirectory()) return 'it is not a directory';
  const euid = process.geteuid?.();
  if (euid !== undefined && stat.uid !== euid) return `it is owned by uid ${stat.uid}, not by uid ${euid}`;
  if ((stat.mode & 0o022) !== 0) return `group or others may write it (mode ${(stat.mode & 0o777).toString(8)})`;
  return undefined;
}

/**
 * The verified registry directory, created 0700 when missing. Throws {@link RegistryError} when it
 * cannot be created or fails the checks; never falls back to another place.
 */
export function registryDir(): string {
  const dir = registryLocation();
  try {
    mkdirSync(dir, { mode: 0o700 });
    chmodSync(dir, 0o700); // mkdir's mode is filtered by the umask
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new RegistryError(
        `cannot create the ownership registry ${dir}: ${(error as Error).message}`,
        'NO_REGISTRY',
        'create its parent directory, or set PERF_BRIDGE_REGISTRY_DIR to a directory only you can write',
        error,
      );
    }
  }
  const reason = unsafeReason(dir);
  if (reason !== undefined) {
    throw new RegistryError(
      `refusing to use the ownership registry ${dir}: ${reason}`,
      'UNSAFE_REGISTRY',
      `someone else could plant records there that make perf-bridge delete probes; remove ${dir} ` +
        '(perf-bridge recreates it with mode 0700), or set PERF_BRIDGE_REGISTRY_DIR to a private directory',
    );
  }
  return dir;
}
