/**
 * Kernel-VM test runner: boots each chosen Debian kernel under qemu and runs
 * node:test files inside, so tests needing kernel features the host lacks
 * (kprobes) execute for real.
 *
 *   node .test-build/test/kernel/run.js [--kernel 6.1|6.12]... [--timeout SEC] [--sequential] [files...]
 *
 * Files default to KERNEL_SUITE (suite.ts). The kernels boot at the same
 * time (each guest uses one host core, see qemu.ts). Test output streams
 * live, every line prefixed with the kernel label; a summary per kernel
 * follows, and the exit status is non-zero if any kernel failed to
 * provision, boot, or pass, or its console showed a kernel BUG, Oops or
 * WARNING (even when every test passed). A guest still running a minute
 * after an oops is killed: the oopsed task's locks stay held, so the rest
 * of the run would only hang until the deadline.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeGuestFailure, runGuestCommand, shQuote, GUEST_OUT_DIR } from './guest.js';
import { ensureHostTools } from './host-tools.js';
import { KERNEL_LABELS, ensureKernel, isKernelLabel, type KernelLabel } from './provision.js';
import { killAllGuests } from './qemu.js';
import { KERNEL_SUITE } from './suite.js';
import { failedCount, parseTapSummary, type TestCounts } from './summary.js';

/** This file is `<root>/.test-build/test/kernel/run.js`. */
const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const DEFAULT_FILE_TIMEOUT_SEC = 300;
/** Boot, node start-up and power-off allowance on top of the per-file budget. */
const GUEST_OVERHEAD_SEC = 120;

const USAGE = `usage: node .test-build/test/kernel/run.js [options] [test files...]

Boots Debian kernels under qemu (TCG) and runs compiled node:test files inside.

options:
  --kernel LABEL   kernel to boot: ${KERNEL_LABELS.join(', ')} (repeatable; default: all)
  --timeout SEC    per test file limit inside the guest (default ${DEFAULT_FILE_TIMEOUT_SEC});
                   the whole VM is killed after ${GUEST_OVERHEAD_SEC} s + files x SEC
  --sequential     boot the kernels one after the other (default: all at once;
                   each guest uses one host core)
  -h, --help       show this help

files default to KERNEL_SUITE in test/kernel/suite.ts (paths relative to the project root).
Kernels are cached in \${PERF_BRIDGE_KERNEL_CACHE:-\${XDG_CACHE_HOME:-~/.cache}/perf-bridge/kernels}.`;

/** Outcome of one kernel. */
interface KernelOutcome {
  label: KernelLabel;
  release?: string;
  /** The test counts from the guest's TAP report, when it wrote a complete one. */
  counts?: TestCounts | undefined;
  /** From starting qemu to the job starting in the guest, when it did. */
  bootMs?: number | undefined;
  totalMs?: number;
  /** Why the kernel as a whole failed (provisioning, boot, timeout, exit status), if it did. */
  problem?: string | undefined;
}

function say(label: KernelLabel, line: string): void {
  process.stdout.write(`[${label}] ${line}\n`);
}

function seconds(ms: number | undefined): string {
  return ms === undefined ? '?' : `${(ms / 1000).toFixed(1)} s`;
}

/** Resolves and checks the test files; the guest sees host paths unchanged, except /tmp and /run. */
function testFiles(positionals: string[]): string[] {
  const files =
    positionals.length > 0
      ? positionals.map((p) => resolve(process.cwd(), p))
      : KERNEL_SUITE.map((p) => resolve(PROJECT_ROOT, p));
  for (const file of files) {
    if (!existsSync(file)) {
      throw new Error(`test file ${file} does not exist (compile first: npx tsc -p tsconfig.test.json)`);
    }
  }
  return files;
}

/** The guest command: node's test runner, spec output on the console, TAP into the out dir for counting. */
function nodeTestCommand(files: string[], fileTimeoutSec: number): string {
  return [
    'exec',
    shQuote(process.execPath),
    '--test',
    `--test-timeout=${fileTimeoutSec * 1000}`,
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${GUEST_OUT_DIR}/results.tap`,
    ...files.map(shQuote),
  ].join(' ');
}

async function runKernel(label: KernelLabel, files: string[], fileTimeoutSec: number): Promise<KernelOutcome> {
  const timeoutMs = (GUEST_OVERHEAD_SEC + files.length * fileTimeoutSec) * 1000;
  say(label, `booting (${files.length} test file(s), ${fileTimeoutSec} s per file, VM limit ${timeoutMs / 1000} s)`);
  let result;
  try {
    result = await runGuestCommand(label, nodeTestCommand(files, fileTimeoutSec), {
      cwd: PROJECT_ROOT,
      // NO_COLOR: the guest's console is a tty, but its escape codes would only clutter logs.
      env: { NO_COLOR: '1' },
      timeoutMs,
      onLine: (line) => {
        say(label, line);
      },
      log: (line) => {
        say(label, line);
      },
    });
  } catch (err) {
    return { label, problem: (err as Error).message };
  }
  let tap = '';
  try {
    tap = readFileSync(join(result.outDir, 'results.tap'), 'utf8');
  } catch {
    // No report: the guest died before node wrote it; describeGuestFailure says why.
  } finally {
    rmSync(result.outDir, { recursive: true, force: true });
  }
  const counts = parseTapSummary(tap);
  let problem = describeGuestFailure(result, timeoutMs);
  if (problem === undefined && counts === undefined) problem = 'node --test wrote no complete TAP report';
  // node exits 1 when tests fail; the counts already say so. A kernel BUG or Oops is news on top of that.
  const testsSaySo = result.status === 1 && counts !== undefined && failedCount(counts) > 0;
  if (testsSaySo && result.kernelProblems.length === 0) problem = undefined;
  // The console already streamed live; qemu's own complaints did not.
  if (problem !== undefined && result.qemuExit.stderr) say(label, `qemu: ${result.qemuExit.stderr}`);
  say(label, `finished: boot ${seconds(result.bootMs)}, whole VM ${seconds(result.totalMs)}`);
  return { label, release: result.kernel.release, counts, bootMs: result.bootMs, totalMs: result.totalMs, problem };
}

function printSummary(outcomes: KernelOutcome[]): number {
  let passed = 0;
  let failed = 0;
  process.stdout.write('\nkernel VM summary:\n');
  for (const o of outcomes) {
    const c = o.counts;
    let kernelFailed = c ? failedCount(c) : 0;
    // A kernel that broke without a failing test still has to show up as a failure.
    if (o.problem !== undefined && kernelFailed === 0) kernelFailed = 1;
    passed += c?.pass ?? 0;
    failed += kernelFailed;
    const timedOut = c !== undefined && c.cancelled > 0 ? ` (${c.cancelled} timed out)` : '';
    const counts = c
      ? `${c.pass} passed, ${failedCount(c)} failed${timedOut}, ${c.skipped} skipped`
      : 'no test results';
    const timing = o.totalMs === undefined ? '' : `, boot ${seconds(o.bootMs)}, VM ${seconds(o.totalMs)}`;
    process.stdout.write(`  ${o.label} (${o.release ?? 'not provisioned'}): ${counts}${timing}\n`);
    if (o.problem !== undefined) process.stdout.write(`    FAILED: ${o.problem.replace(/\n/g, '\n    ')}\n`);
  }
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  return failed > 0 ? 1 : 0;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      kernel: { type: 'string', multiple: true },
      timeout: { type: 'string' },
      sequential: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const labels = (values.kernel ?? KERNEL_LABELS).flatMap((k) => k.split(','));
  const unknown = labels.filter((l) => !isKernelLabel(l));
  if (unknown.length > 0) throw new Error(`unknown kernel ${unknown.join(', ')}; known: ${KERNEL_LABELS.join(', ')}`);
  const fileTimeoutSec = values.timeout === undefined ? DEFAULT_FILE_TIMEOUT_SEC : Number(values.timeout);
  if (!Number.isFinite(fileTimeoutSec) || fileTimeoutSec <= 0)
    throw new Error(`--timeout needs a positive number of seconds`);
  const files = testFiles(positionals);

  const interruption = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      // A second signal means "now": skip the summary too.
      if (interruption.signal.aborted) process.exit(130);
      interruption.abort();
      killAllGuests();
    });
  }

  const started = Date.now();
  // Install tools and fetch kernels one at a time first: concurrent apt runs would fight over its locks.
  ensureHostTools((line) => process.stdout.write(`${line}\n`));
  const bootable: KernelLabel[] = [];
  const outcomes: KernelOutcome[] = [];
  for (const label of labels as KernelLabel[]) {
    try {
      await ensureKernel(label, (line) => {
        say(label, line);
      });
      bootable.push(label);
    } catch (err) {
      say(label, (err as Error).message);
      outcomes.push({ label, problem: (err as Error).message });
    }
  }
  if (values.sequential) {
    for (const label of bootable) {
      if (interruption.signal.aborted) break;
      outcomes.push(await runKernel(label, files, fileTimeoutSec));
    }
  } else {
    outcomes.push(...(await Promise.all(bootable.map((l) => runKernel(l, files, fileTimeoutSec)))));
  }
  outcomes.sort((a, b) => labels.indexOf(a.label) - labels.indexOf(b.label));
  const status = printSummary(outcomes);
  process.stdout.write(`kernel VM runs took ${seconds(Date.now() - started)}\n`);
  if (interruption.signal.aborted) {
    process.stdout.write('interrupted\n');
    return 130;
  }
  return status;
}

main().then(
  (status) => {
    process.exitCode = status;
  },
  (err: unknown) => {
    process.stderr.write(`kernel VM runner: ${(err as Error).message}\n`);
    process.exitCode = 2;
  },
);
