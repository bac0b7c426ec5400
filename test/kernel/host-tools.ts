/**
 * Host programs the kernel-VM runner depends on, installed on demand.
 *
 * Everything else it uses (dpkg-deb, apt-get, apt-cache, tar) is part of
 * every Debian system; xz and cpio are deliberately not needed (busybox
 * decompresses modules, and the initramfs writer is our own).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Debian packages `.ci/run` should install up front so no run has to. */
export const HOST_PACKAGES = ['qemu-system-x86', 'busybox-static'] as const;

/** Resolved paths of the host tools. */
export interface HostTools {
  qemu: string;
  /** A statically linked busybox: it runs as the guest's init before any library is reachable. */
  busybox: string;
}

function which(program: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(delimiter)) {
    const candidate = join(dir, program);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** True if the ELF executable at `path` has no PT_INTERP, i.e. needs no dynamic loader. */
function isStaticElf(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const header = Buffer.alloc(64);
    readSync(fd, header, 0, 64, 0);
    if (header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2) return false;
    const phoff = Number(header.readBigUInt64LE(0x20));
    const phentsize = header.readUInt16LE(0x36);
    const phnum = header.readUInt16LE(0x38);
    const table = Buffer.alloc(phentsize * phnum);
    readSync(fd, table, 0, table.length, phoff);
    for (let i = 0; i < phnum; i++) {
      if (table.readUInt32LE(i * phentsize) === 3 /* PT_INTERP */) return false;
    }
    return true;
  } finally {
    closeSync(fd);
  }
}

function findTools(): { tools: Partial<HostTools>; missing: string[] } {
  const tools: Partial<HostTools> = {};
  const missing: string[] = [];
  const qemu = which('qemu-system-x86_64');
  if (qemu) tools.qemu = qemu;
  else missing.push('qemu-system-x86');
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p) && isStaticElf(p));
  if (busybox) tools.busybox = busybox;
  else missing.push('busybox-static');
  return { tools, missing };
}

function aptInstall(packages: readonly string[], log: (line: string) => void): boolean {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () =>
    spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...packages], {
      env,
      stdio: ['ignore', 'inherit', 'inherit'],
    }).status === 0;
  log(`installing ${packages.join(' ')} with apt-get`);
  if (install()) return true;
  // The usual cause is stale or missing package lists (e.g. a fresh container).
  log('apt-get install failed; running apt-get update and retrying');
  spawnSync('apt-get', ['update', '-q'], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  return install();
}

/**
 * Finds qemu and a static busybox, installing them with apt-get when missing
 * and running as root.
 *
 * @throws with the list of packages to install when they are missing and
 *   cannot be installed.
 */
export function ensureHostTools(log: (line: string) => void): HostTools {
  let found = findTools();
  if (found.missing.length > 0 && process.getuid?.() === 0) {
    aptInstall(found.missing, log);
    found = findTools();
  }
  if (found.missing.length > 0) {
    throw new Error(
      `missing host tools for the kernel VMs: ${found.missing.join(', ')}. ` +
        `Install them with: apt-get install -y --no-install-recommends ${found.missing.join(' ')}`,
    );
  }
  return found.tools as HostTools;
}
