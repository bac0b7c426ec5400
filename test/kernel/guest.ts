/**
 * Runs a shell command inside a kernel VM and brings its output files back.
 *
 * The guest sees the host's whole filesystem read-only at the same paths, so
 * the command can run host binaries (node) and compiled tests directly; it
 * may write only to /tmp (a guest tmpfs) and to `$PERF_BRIDGE_VM_OUT`, which
 * is copied back to the host.
 */
import { cpSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { GUEST_JOB_DIR } from './initramfs.js';
import { ensureKernel, type KernelLabel, type ProvisionedKernel } from './provision.js';
import { bootGuest, type BootResult } from './qemu.js';

/** Guest path of the output directory, also exported to the command as `$PERF_BRIDGE_VM_OUT`. */
export const GUEST_OUT_DIR = `${GUEST_JOB_DIR}/out`;

/** Options of {@link runGuestCommand}. */
export interface GuestCommandOptions {
  /** Working directory in the guest (a host path); default: the host's cwd. */
  cwd?: string;
  /** Extra environment for the command. */
  env?: Record<string, string>;
  /** Host directory to receive the guest's `$PERF_BRIDGE_VM_OUT` (replaced if present); default: a new temp dir. */
  outDir?: string;
  /** Wall-clock limit for the whole VM, boot included; default 600 s. */
  timeoutMs?: number;
  /** Console lines of the guest (kernel errors, the command's stdout and stderr). */
  onLine?: ((line: string) => void) | undefined;
  /** Provisioning progress. */
  log?: ((line: string) => void) | undefined;
}

/** Result of {@link runGuestCommand}: how the guest ended, and where its outputs are. */
export interface GuestCommandResult extends BootResult {
  kernel: ProvisionedKernel;
  /** Host directory holding what the command wrote to `$PERF_BRIDGE_VM_OUT`; the caller owns it. */
  outDir: string;
}

/** Quotes a string for POSIX sh. */
export function shQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Environment every guest command gets; HOME/TMPDIR point at the only writable place. */
function guestEnv(label: KernelLabel, extra: Record<string, string>): Record<string, string> {
  return {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: '/tmp',
    TMPDIR: '/tmp',
    LANG: 'C.UTF-8',
    PERF_BRIDGE_VM_KERNEL: label,
    PERF_BRIDGE_VM_OUT: GUEST_OUT_DIR,
    ...extra,
  };
}

/** A line callback for lines nobody asked to see (progress, console). */
export function discardLine(): void {
  // The caller did not ask for these lines.
}

/**
 * The directory to share back when `cwd` is under /tmp or /run (which the guest covers with its
 * own tmpfs): the whole top-level directory below /tmp or /run, so sibling paths resolve too.
 */
export function hiddenProjectDir(cwd: string): string | undefined {
  const match = /^\/(tmp|run)\/[^/]+/.exec(cwd);
  return match ? match[0] : undefined;
}

/**
 * Boots kernel `label` (provisioning it if needed), runs `command` with
 * /bin/sh as root in the guest, and powers the guest off.
 *
 * `$PERF_BRIDGE_VM_KERNEL` is set to the label in the guest. Resolves once the
 * guest is gone; a failing command, a panic or a timeout are reported in the
 * result (`status`, `timedOut`), not thrown. Throws only if the kernel cannot
 * be provisioned.
 */
export async function runGuestCommand(
  label: KernelLabel,
  command: string,
  options: GuestCommandOptions = {},
): Promise<GuestCommandResult> {
  const kernel = await ensureKernel(label, options.log ?? discardLine);
  const cwd = options.cwd ?? process.cwd();
  // The guest mounts tmpfs over /tmp and /run; a project there is mounted back at its path.
  const hiddenDir = hiddenProjectDir(cwd);
  const jobDir = mkdtempSync(join(tmpdir(), 'perf-bridge-vm-'));
  try {
    mkdirSync(join(jobDir, 'out'));
    const env = guestEnv(label, options.env ?? {});
    const script = [
      ...Object.entries(env).map(([k, v]) => `export ${k}=${shQuote(v)}`),
      `cd ${shQuote(cwd)} || exit 125`,
      command,
      '',
    ].join('\n');
    writeFileSync(join(jobDir, 'job.sh'), script);
    if (hiddenDir) writeFileSync(join(jobDir, 'hidden-path'), hiddenDir);

    const result = await bootGuest({
      kernel,
      jobDir,
      timeoutMs: options.timeoutMs ?? 600_000,
      hiddenDir,
      onLine: options.onLine ?? discardLine,
    });

    const outDir = options.outDir ?? mkdtempSync(join(tmpdir(), 'perf-bridge-vm-out-'));
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(dirname(outDir), { recursive: true });
    try {
      renameSync(join(jobDir, 'out'), outDir);
    } catch {
      // Different filesystem than the temp dir.
      cpSync(join(jobDir, 'out'), outDir, { recursive: true });
    }
    return { ...result, kernel, outDir };
  } finally {
    rmSync(jobDir, { recursive: true, force: true });
  }
}

/**
 * One-line reason a guest run failed, or undefined if the command exited 0 and the kernel reported
 * no problem. Distinguishes a kernel BUG/Oops/WARNING on the console (whatever the tests said), a
 * timeout, an init failure, a guest that died without recording a status (panic, qemu error) and a
 * plain non-zero exit.
 */
export function describeGuestFailure(r: BootResult, timeoutMs?: number): string | undefined {
  if (r.interrupted) return 'interrupted; the guest was killed';
  if (r.kernelProblems.length > 0) {
    const more = r.kernelProblems.length > 1 ? ` (then: ${r.kernelProblems.slice(1, 4).join(' | ')})` : '';
    const killed = r.killedAfterOops ? '; the VM was still running long after the oops and was killed' : '';
    return `the kernel reported a problem on the console: ${r.kernelProblems[0]}${more}${killed}`;
  }
  if (r.timedOut) {
    const limit = timeoutMs === undefined ? '' : ` of ${Math.round(timeoutMs / 1000)} s`;
    const lastLine = JSON.stringify(r.consoleTail.at(-1) ?? '');
    return `guest killed at the deadline${limit} (hung or too slow; last console line: ${lastLine})`;
  }
  if (r.initError !== undefined) return `guest init failed: ${r.initError}`;
  if (r.status === undefined) {
    const qemu = r.qemuExit.stderr ? `; qemu: ${r.qemuExit.stderr.split('\n').at(-1)}` : '';
    const panic = r.consoleTail.find((l) => l.includes('Kernel panic'));
    const what = panic ? `kernel panic (${panic.replace(/^\[[\s\d.]+\]\s*/, '')})` : 'guest died';
    return `${what} before the job recorded an exit status (qemu exit ${r.qemuExit.code ?? r.qemuExit.signal}${qemu})`;
  }
  if (r.status !== 0) return `exit status ${r.status}`;
  return undefined;
}
