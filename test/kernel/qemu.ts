/**
 * Boots one guest under qemu and follows its serial console.
 *
 * The guest shares the host's `/` read-only and a per-run job directory
 * read-write over virtio-9p (see initramfs.ts for the guest side). qemu runs
 * with pure TCG emulation: this machine's /dev/kvm cannot run stock kernels.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { KERNEL_OOPS, KERNEL_PROBLEM } from '../helpers/kernel-log.js';
import { HIDDEN_TAG, INIT_ERROR_PREFIX, JOB_TAG, ROOT_TAG, START_MARKER } from './initramfs.js';
import type { ProvisionedKernel } from './provision.js';

/** What happened to a guest. */
export interface BootResult {
  /** Exit status of the guest job, or undefined if the guest never recorded one. */
  status: number | undefined;
  /** The host killed qemu because the deadline passed (hung or very slow guest). */
  timedOut: boolean;
  /** qemu was killed by {@link killAllGuests} (the runner was interrupted). */
  interrupted: boolean;
  /** Milliseconds from starting qemu to the job starting in the guest (undefined if it never did). */
  bootMs: number | undefined;
  /** Milliseconds from starting qemu to qemu exiting. */
  totalMs: number;
  /** Error line reported by the guest's init, if any. */
  initError: string | undefined;
  /** The last console lines, for diagnosing a guest that died. */
  consoleTail: string[];
  /** Kernel messages on the console that report a kernel problem (BUG, Oops, WARNING), in order. */
  kernelProblems: string[];
  /** qemu was killed because the guest was still running {@link BootOptions.oopsGraceMs} after an oops. */
  killedAfterOops: boolean;
  /** qemu's own exit code / signal, and its stderr (qemu reports startup errors there). */
  qemuExit: { code: number | null; signal: NodeJS.Signals | null; stderr: string };
}

/** Options of {@link bootGuest}. */
export interface BootOptions {
  kernel: ProvisionedKernel;
  /** Host directory the guest sees read-write at GUEST_JOB_DIR; must contain `job.sh`. */
  jobDir: string;
  /** Wall-clock limit for the whole guest, boot included. */
  timeoutMs: number;
  /** Receives each console line (without the line ending). */
  onLine: (line: string) => void;
  /** Guest RAM (qemu -m syntax); default 2G. */
  memory?: string;
  /** Guest CPUs; default 2. */
  cpus?: number;
  /**
   * A host directory under /tmp or /run (e.g. a checkout there) that the guest's tmpfs would hide:
   * shared read-only and mounted back at the same path (the job dir names it in `hidden-path`).
   */
  hiddenDir?: string | undefined;
  /**
   * How long the guest may keep running after the kernel oopsed; default {@link DEFAULT_OOPS_GRACE_MS}.
   * The dying task keeps the locks it held (in issue 8, tracefs's event_mutex), so what runs next
   * usually hangs until the deadline — tens of minutes of CI time for a result already decided.
   */
  oopsGraceMs?: number;
}

/** Default of {@link BootOptions.oopsGraceMs}: enough for the test that hit the oops to report it. */
export const DEFAULT_OOPS_GRACE_MS = 60_000;

/** Most kernel problem lines a result keeps (an oops is ~50 lines; its first ones say what happened). */
const MAX_KERNEL_PROBLEMS = 20;

/**
 * The kernel message of a console line when it reports a kernel problem ({@link KERNEL_PROBLEM}):
 * `fatal` for an oops or BUG, not for a warning. Only kernel lines count — they carry printk's
 * `[seconds.micros]` stamp — so test output that merely mentions "BUG:" is not one.
 */
export function consoleKernelProblem(line: string): { message: string; fatal: boolean } | undefined {
  const match = /^\[\s*\d+\.\d+\]\s*(.*)$/.exec(line);
  if (!match || !KERNEL_PROBLEM.test(match[1]!)) return undefined;
  return { message: match[1]!, fatal: KERNEL_OOPS.test(match[1]!) };
}

/** qemu processes this module started and that are still running. */
const running = new Set<ChildProcess>();
/** Guests {@link killAllGuests} killed, so their results can say why they vanished. */
const interrupted = new WeakSet<ChildProcess>();

/**
 * Kills every qemu started by {@link bootGuest} that is still running (by its
 * pid, via the ChildProcess handle), e.g. when the runner is interrupted.
 */
export function killAllGuests(): void {
  for (const child of running) {
    interrupted.add(child);
    child.kill('SIGKILL');
  }
}

/** The qemu command line for a guest. */
function qemuArgs(opts: Pick<BootOptions, 'kernel' | 'jobDir' | 'memory' | 'cpus' | 'hiddenDir'>): string[] {
  const share = (id: string, path: string, tag: string, readonly: boolean) => [
    '-fsdev',
    // qemu option values escape a literal comma by doubling it.
    `local,id=${id},path=${path.replace(/,/g, ',,')},security_model=none,multidevs=remap` +
      (readonly ? ',readonly=on' : ''),
    '-device',
    `virtio-9p-pci,fsdev=${id},mount_tag=${tag}`,
  ];
  return [
    '-no-user-config',
    '-nodefaults', // no NIC (so no option ROM), no VGA, no floppy/cdrom
    '-display',
    'none',
    // One host thread for all vCPUs: measured on 2 host cores, multi-threaded TCG
    // made a 2-vCPU guest ~25% slower, and two guests at once then fought for the
    // cores (43 s vs 25 s for both kernels; `npm run test:kernel` prints both times,
    // rerun with thread=multi to compare). Two vCPUs still exercise per-CPU paths.
    '-accel',
    'tcg,thread=single',
    '-cpu',
    'max',
    '-m',
    opts.memory ?? '2G',
    '-smp',
    String(opts.cpus ?? 2),
    '-no-reboot', // with panic=-1, a kernel panic ends qemu instead of looping
    '-serial',
    'stdio',
    '-kernel',
    opts.kernel.vmlinuz,
    '-initrd',
    opts.kernel.initramfs,
    '-append',
    'console=ttyS0 panic=-1 quiet',
    ...share('hostroot', '/', ROOT_TAG, true),
    ...share('job', opts.jobDir, JOB_TAG, false),
    ...(opts.hiddenDir ? share('hidden', opts.hiddenDir, HIDDEN_TAG, true) : []),
  ];
}

function readStatus(jobDir: string): number | undefined {
  try {
    const text = readFileSync(`${jobDir}/status`, 'utf8').trim();
    return /^\d+$/.test(text) ? Number(text) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Boots the kernel, streams its console to `onLine` and resolves when qemu
 * exits (the guest powers off after the job) or is killed at the deadline.
 * Never rejects for guest failures; those are described in the result.
 */
export function bootGuest(opts: BootOptions): Promise<BootResult> {
  const started = Date.now();
  const child = spawn(opts.kernel.tools.qemu, qemuArgs(opts), {
    // stdin must not be the terminal: qemu's stdio backend would switch it to raw mode.
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);

  let bootMs: number | undefined;
  let initError: string | undefined;
  let timedOut = false;
  let stderr = '';
  const kernelProblems: string[] = [];
  let oopsTimer: NodeJS.Timeout | undefined;
  let killedAfterOops = false;
  const tail: string[] = [];
  let partial = '';

  const handleLine = (raw: string) => {
    // The serial line discipline turns \n into \r\n; early kernel output may carry stray \r too.
    const line = raw.replace(/\r/g, '');
    if (line.includes(START_MARKER)) {
      bootMs ??= Date.now() - started;
      return;
    }
    // The kernel's farewell after every regular poweroff is noise, not news.
    if (/^\[[\s\d.]+\] reboot: Power down$/.test(line)) return;
    if (line.startsWith(INIT_ERROR_PREFIX)) initError ??= line.slice(INIT_ERROR_PREFIX.length).trim();
    const problem = consoleKernelProblem(line);
    if (problem) {
      if (kernelProblems.length < MAX_KERNEL_PROBLEMS) kernelProblems.push(problem.message);
      if (problem.fatal) {
        oopsTimer ??= setTimeout(() => {
          killedAfterOops = true;
          child.kill('SIGKILL');
        }, opts.oopsGraceMs ?? DEFAULT_OOPS_GRACE_MS);
      }
    }
    tail.push(line);
    if (tail.length > 40) tail.shift();
    opts.onLine(line);
  };
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    lines.forEach(handleLine);
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
  });

  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, opts.timeoutMs);

  return new Promise((resolve) => {
    let finished = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      clearTimeout(oopsTimer);
      running.delete(child);
      if (partial) handleLine(partial);
      resolve({
        status: readStatus(opts.jobDir),
        timedOut,
        interrupted: interrupted.has(child),
        bootMs,
        totalMs: Date.now() - started,
        initError,
        consoleTail: tail,
        kernelProblems,
        killedAfterOops,
        qemuExit: { code, signal, stderr: stderr.trim() },
      });
    };
    child.on('close', finish);
    child.on('error', (err) => {
      stderr += `\n${err.message}`;
      // A failed spawn emits no 'close'.
      if (child.pid === undefined) finish(null, null);
    });
  });
}
