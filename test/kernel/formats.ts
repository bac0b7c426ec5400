/**
 * Copies every tracefs event `format` file out of a VM kernel, so host tests
 * can check the format parser against real kernels other than the host's.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeGuestFailure, runGuestCommand, shQuote, type GuestCommandOptions } from './guest.js';
import { ensureKernel, type KernelLabel } from './provision.js';

/** The compiled guest-side collector, next to this module. */
const DUMP_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'guest-formats-dump.js');

/** Options of {@link collectGuestFormats}. */
export interface CollectFormatsOptions {
  log?: GuestCommandOptions['log'];
  onLine?: GuestCommandOptions['onLine'];
  /** Limit for the VM run; default 300 s. */
  timeoutMs?: number;
}

/**
 * Returns a host directory holding `events/<system>/<event>/format` for every
 * event of kernel `label`'s tracefs, collecting them in a VM on first use
 * (~15 s). The directory lives in the kernel's cache entry, so it is
 * refreshed together with the kernel. Next to `events/` it holds `count`,
 * the number of format files.
 *
 * @throws if the kernel cannot be provisioned or the guest fails.
 */
export async function collectGuestFormats(label: KernelLabel, options: CollectFormatsOptions = {}): Promise<string> {
  const kernel = await ensureKernel(label, options.log ?? (() => {}));
  const dir = join(kernel.dir, 'formats');
  if (existsSync(join(dir, 'count'))) return dir;

  const staging = `${dir}.tmp-${process.pid}`;
  const timeoutMs = options.timeoutMs ?? 300_000;
  const result = await runGuestCommand(label, `exec ${shQuote(process.execPath)} ${shQuote(DUMP_SCRIPT)}`, {
    cwd: '/',
    timeoutMs,
    onLine: options.onLine,
    log: options.log,
    outDir: join(staging, 'out'),
  });
  try {
    const failure = describeGuestFailure(result, timeoutMs);
    const dump = join(staging, 'out', 'formats.json');
    if (failure !== undefined || !existsSync(dump)) {
      const tail = result.consoleTail.slice(-10).join('\n');
      throw new Error(
        `collecting tracefs formats in the ${label} guest failed: ${failure ?? 'no formats.json'}\n${tail}`,
      );
    }
    const formats = JSON.parse(readFileSync(dump, 'utf8')) as Record<string, string>;
    const tree = join(staging, 'tree');
    for (const [path, text] of Object.entries(formats)) {
      mkdirSync(dirname(join(tree, path)), { recursive: true });
      writeFileSync(join(tree, path), text, 'latin1');
    }
    // Written last: its presence marks a complete collection.
    writeFileSync(join(tree, 'count'), `${Object.keys(formats).length}\n`);
    rmSync(dir, { recursive: true, force: true });
    try {
      renameSync(tree, dir);
    } catch (err) {
      // Another process collected the same kernel meanwhile; its copy is as good.
      if (!existsSync(join(dir, 'count'))) throw err;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return dir;
}

/** Number of format files in a directory returned by {@link collectGuestFormats}. */
export function formatCount(dir: string): number {
  return Number(readFileSync(join(dir, 'count'), 'utf8'));
}
