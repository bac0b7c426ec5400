/**
 * Kernel module selection for the guest initramfs.
 *
 * Debian's kernel packages ship without `modules.dep` (depmod runs at install
 * time, and we never install them), and the host has no kmod. So we resolve
 * dependencies ourselves from each module's `.modinfo` ELF section, and skip
 * everything `modules.builtin` says is compiled in. Nothing here hard-codes
 * which of virtio/9p is a module in which kernel.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Modules the guest needs to mount the host root over virtio-9p. Their
 * dependencies (virtio_ring, netfs, fscache, ...) are found automatically.
 */
export const ROOT_SHARE_MODULES = ['virtio_pci', '9pnet_virtio', '9p'] as const;

/** One loadable module, ready to be copied into the initramfs. */
export interface GuestModule {
  /** Canonical name (dashes normalised to underscores), e.g. `9pnet_virtio`. */
  name: string;
  /** Uncompressed `.ko` image; busybox insmod cannot read `.ko.xz`. */
  image: Buffer;
}

/** Module names in the kernel are spelled with `_`; file names may use `-`. */
function canonical(name: string): string {
  return name.replace(/-/g, '_');
}

/** `foo.ko`, `foo.ko.xz`, ... -> `foo`; undefined for non-module files. */
function moduleNameOfFile(file: string): string | undefined {
  const m = /^(.+)\.ko(\.(xz|zst|gz))?$/.exec(file);
  return m ? canonical(m[1]!) : undefined;
}

function walk(dir: string, out: Map<string, string>): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, out);
    else {
      const name = moduleNameOfFile(entry.name);
      if (name !== undefined) out.set(name, path);
    }
  }
}

/** Reads a module file, decompressing `.ko.xz` with busybox (always present: the initramfs needs it). */
function readModuleImage(path: string, busybox: string): Buffer {
  if (path.endsWith('.ko')) return readFileSync(path);
  if (path.endsWith('.ko.xz')) {
    return execFileSync(busybox, ['xz', '-dc', path], { maxBuffer: 256 << 20 });
  }
  if (path.endsWith('.ko.gz')) {
    return execFileSync(busybox, ['gzip', '-dc', path], { maxBuffer: 256 << 20 });
  }
  throw new Error(`cannot decompress ${path}: only .ko, .ko.xz and .ko.gz modules are supported`);
}

/**
 * Returns the `depends=` list from a module's `.modinfo` section.
 * Parsing the ELF section (rather than grepping the whole file) avoids false
 * hits on strings that merely look like modinfo.
 */
export function moduleDepends(image: Buffer): string[] {
  if (image.readUInt32BE(0) !== 0x7f454c46 || image[4] !== 2 || image[5] !== 1) {
    throw new Error('not a 64-bit little-endian ELF module');
  }
  const shoff = Number(image.readBigUInt64LE(0x28));
  const shentsize = image.readUInt16LE(0x3a);
  const shnum = image.readUInt16LE(0x3c);
  const shstrndx = image.readUInt16LE(0x3e);
  const section = (i: number) => {
    const base = shoff + i * shentsize;
    return {
      name: image.readUInt32LE(base),
      offset: Number(image.readBigUInt64LE(base + 0x18)),
      size: Number(image.readBigUInt64LE(base + 0x20)),
    };
  };
  const strtab = section(shstrndx);
  for (let i = 0; i < shnum; i++) {
    const s = section(i);
    const nameStart = strtab.offset + s.name;
    const nameEnd = image.indexOf(0, nameStart);
    if (image.toString('latin1', nameStart, nameEnd) !== '.modinfo') continue;
    const fields = image.toString('latin1', s.offset, s.offset + s.size).split('\0');
    const dep = fields.find((f) => f.startsWith('depends='));
    if (dep === undefined) return [];
    return dep.slice('depends='.length).split(',').filter(Boolean).map(canonical);
  }
  return [];
}

/**
 * Picks the modules (in load order) that `wanted` needs in the kernel whose
 * tree is `/lib/modules/<release>` at `moduleDir`.
 *
 * @throws if a wanted module is neither built in nor shipped (e.g. the cloud
 *   flavours, which lack 9p).
 */
export function resolveGuestModules(moduleDir: string, wanted: readonly string[], busybox: string): GuestModule[] {
  const builtin = new Set(
    readFileSync(join(moduleDir, 'modules.builtin'), 'utf8')
      .split('\n')
      .map((line) => moduleNameOfFile(line.trim().split('/').pop() ?? ''))
      .filter((n): n is string => n !== undefined),
  );
  const files = new Map<string, string>();
  walk(join(moduleDir, 'kernel'), files);

  const ordered: GuestModule[] = [];
  const done = new Set<string>();
  const visiting = new Set<string>();
  // Depth-first post-order: every module lands after its dependencies.
  const visit = (name: string, neededBy: string): void => {
    if (done.has(name) || builtin.has(name)) return;
    if (visiting.has(name)) throw new Error(`module dependency cycle through ${name}`);
    const path = files.get(name);
    if (path === undefined) {
      throw new Error(
        `module ${name} (needed by ${neededBy}) is neither built in nor shipped in ${moduleDir}; ` +
          'this kernel flavour cannot mount the host over virtio-9p',
      );
    }
    visiting.add(name);
    const image = readModuleImage(path, busybox);
    for (const dep of moduleDepends(image)) visit(dep, name);
    visiting.delete(name);
    done.add(name);
    ordered.push({ name, image });
  };
  for (const name of wanted) visit(canonical(name), 'the VM runner');
  return ordered;
}
