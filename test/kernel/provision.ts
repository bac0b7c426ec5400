/**
 * Fetches Debian kernel images with apt (never installing them on the host)
 * and caches, per kernel label, what a VM boot needs: the kernel, its
 * virtio/9p modules and an initramfs.
 *
 * Cache layout, `<cache>/<label>/`:
 *   manifest.json   package name + exact version the rest was built from
 *   vmlinuz, config kernel image and its build config
 *   modules/        uncompressed .ko files + load `order`
 *   initramfs-*.cpio.gz, formats/ (see formats.ts)
 * A different package version (a Debian kernel update) re-provisions.
 */
import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
  copyFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureHostTools, type HostTools } from './host-tools.js';
import { ensureInitramfs } from './initramfs.js';
import { ROOT_SHARE_MODULES, resolveGuestModules, type GuestModule } from './modules.js';

const execFileAsync = promisify(execFile);

/** Kernel labels the runner knows, mapped to the Debian meta package that selects the image. */
export const KERNELS = {
  '6.1': 'linux-image-amd64',
  '6.12': 'linux-image-6.12-amd64',
} as const satisfies Record<string, string>;

/** A kernel label such as `6.1`. */
export type KernelLabel = keyof typeof KERNELS;

/** All labels, in the order the runner boots them by default. */
export const KERNEL_LABELS = Object.keys(KERNELS) as KernelLabel[];

/** Narrows a user-supplied string to a known label. */
export function isKernelLabel(value: string): value is KernelLabel {
  return Object.hasOwn(KERNELS, value);
}

/** Everything needed to boot one cached kernel. */
export interface ProvisionedKernel {
  label: KernelLabel;
  /** Debian image package, e.g. `linux-image-6.1.0-56-amd64`. */
  package: string;
  /** Its exact Debian version, e.g. `6.1.192-2`. */
  version: string;
  /** `uname -r` of the guest, e.g. `6.1.0-56-amd64`. */
  release: string;
  /** Cache directory of this label. */
  dir: string;
  vmlinuz: string;
  initramfs: string;
  tools: HostTools;
}

interface Manifest {
  package: string;
  version: string;
  release: string;
}

/**
 * Root of the kernel cache: `$PERF_BRIDGE_KERNEL_CACHE`, else
 * `${XDG_CACHE_HOME:-~/.cache}/perf-bridge/kernels` (CI can cache this directory).
 */
export function kernelCacheRoot(): string {
  const override = process.env.PERF_BRIDGE_KERNEL_CACHE;
  if (override) return override;
  // An empty XDG_CACHE_HOME counts as unset (XDG Base Directory specification).
  const xdg = process.env.XDG_CACHE_HOME;
  const cacheHome = xdg === undefined || xdg === '' ? join(homedir(), '.cache') : xdg;
  return join(cacheHome, 'perf-bridge', 'kernels');
}

async function run(cmd: string, args: string[], cwd?: string): Promise<string> {
  try {
    const { stdout } = await execFileAsync(cmd, args, { cwd, maxBuffer: 64 << 20 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    const stderr = e.stderr?.trim() ?? '';
    throw new Error(`${cmd} ${args.join(' ')} failed: ${stderr === '' ? e.message.trim() : stderr}`);
  }
}

/** Asks apt which image package (and exact version) the meta package currently selects. */
async function resolveImagePackage(meta: string): Promise<{ package: string; version: string }> {
  const text = await run('apt-cache', ['show', '--no-all-versions', meta]);
  const depends = /^Depends:(.*)$/m.exec(text)?.[1] ?? '';
  const m = /(linux-image-[^\s,(]+)\s*\(=\s*([^)\s]+)\)/.exec(depends);
  if (!m) throw new Error(`cannot find the image package in "Depends:${depends}" of ${meta}`);
  return { package: m[1]!, version: m[2]! };
}

async function resolveWithUpdate(
  meta: string,
  log: (line: string) => void,
): Promise<{ package: string; version: string }> {
  try {
    return await resolveImagePackage(meta);
  } catch (first) {
    if (process.getuid?.() !== 0) throw first;
    // Typically a container whose package lists were cleaned: refresh once.
    log(`apt-cache does not know ${meta}; running apt-get update`);
    await run('apt-get', ['update', '-q']);
    return resolveImagePackage(meta);
  }
}

function readManifest(dir: string): Manifest | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

function loadModules(dir: string): GuestModule[] {
  const order = readFileSync(join(dir, 'modules', 'order'), 'utf8')
    .split('\n')
    .filter(Boolean);
  return order.map((name) => ({ name, image: readFileSync(join(dir, 'modules', `${name}.ko`)) }));
}

/** Downloads and unpacks the image package, then keeps only what the VM needs in `target`. */
async function buildCacheEntry(
  pkg: { package: string; version: string },
  target: string,
  tools: HostTools,
): Promise<void> {
  const work = `${target}.work`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    // As root, apt drops privileges to _apt for downloads, which cannot write our
    // private temp dir; it would fall back with a warning, so skip the attempt.
    const sandbox = process.getuid?.() === 0 ? ['-o', 'APT::Sandbox::User=root'] : [];
    await run('apt-get', ['download', '-q', ...sandbox, `${pkg.package}=${pkg.version}`], work);
    const deb = readdirSync(work).find((f) => f.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download produced no .deb for ${pkg.package}`);
    const root = join(work, 'root');
    await run('dpkg-deb', ['-x', join(work, deb), root]);

    const releases = readdirSync(join(root, 'lib', 'modules'));
    if (releases.length !== 1)
      throw new Error(`expected one module tree in ${pkg.package}, found: ${releases.join(', ')}`);
    const release = releases[0]!;
    const modules = resolveGuestModules(join(root, 'lib', 'modules', release), ROOT_SHARE_MODULES, tools.busybox);

    mkdirSync(join(target, 'modules'), { recursive: true });
    copyFileSync(join(root, 'boot', `vmlinuz-${release}`), join(target, 'vmlinuz'));
    copyFileSync(join(root, 'boot', `config-${release}`), join(target, 'config'));
    for (const m of modules) writeFileSync(join(target, 'modules', `${m.name}.ko`), m.image);
    writeFileSync(join(target, 'modules', 'order'), modules.map((m) => `${m.name}\n`).join(''));
    const manifest: Manifest = { ...pkg, release };
    writeFileSync(join(target, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Returns a bootable kernel for `label`, provisioning it on first use or
 * when Debian ships a new version of its package.
 *
 * @param log progress lines (provisioning takes a few seconds per kernel).
 * @throws an Error whose message says what failed and what to do about it.
 */
export async function ensureKernel(label: KernelLabel, log: (line: string) => void): Promise<ProvisionedKernel> {
  const meta = KERNELS[label];
  const tools = ensureHostTools(log);
  const dir = join(kernelCacheRoot(), label);
  let cached = readManifest(dir);

  let wanted: { package: string; version: string };
  try {
    wanted = await resolveWithUpdate(meta, log);
  } catch (err) {
    if (!cached) {
      throw new Error(
        `cannot provision kernel ${label}: ${(err as Error).message}\n` +
          `The runner needs apt to know ${meta} (Debian 12 bookworm main/security). ` +
          'Check /etc/apt/sources.list* and run apt-get update.',
      );
    }
    // Offline with a usable cache: run what we have rather than fail.
    log(`warning: cannot check for a newer ${meta} (${(err as Error).message}); using cached ${cached.version}`);
    wanted = { package: cached.package, version: cached.version };
  }

  if (cached?.package !== wanted.package || cached.version !== wanted.version) {
    log(`provisioning ${wanted.package} ${wanted.version} into ${dir}`);
    const started = Date.now();
    const staging = `${dir}.new-${process.pid}`;
    try {
      rmSync(staging, { recursive: true, force: true });
      await buildCacheEntry(wanted, staging, tools);
      // Swap in the new entry whole, so a crash never leaves a half-built cache.
      rmSync(dir, { recursive: true, force: true });
      renameSync(staging, dir);
    } catch (err) {
      try {
        rmSync(staging, { recursive: true, force: true });
      } catch {
        // Keep the original error; it says more than a failed cleanup.
      }
      throw new Error(
        `cannot provision kernel ${label} (${wanted.package} ${wanted.version}): ${(err as Error).message}\n` +
          'Check that apt can download it (apt-get download ' +
          `${wanted.package}=${wanted.version}) and that ${kernelCacheRoot()} is writable with ~600 MB free ` +
          '(set PERF_BRIDGE_KERNEL_CACHE to use another directory).',
      );
    }
    log(`provisioned ${label} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    cached = readManifest(dir)!;
  }

  const vmlinuz = join(dir, 'vmlinuz');
  if (!existsSync(vmlinuz)) throw new Error(`kernel cache ${dir} is incomplete; delete it and run again`);
  const initramfs = ensureInitramfs(dir, tools.busybox, loadModules(dir));
  return { label, ...cached, dir, vmlinuz, initramfs, tools };
}
