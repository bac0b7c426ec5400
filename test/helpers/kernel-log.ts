/**
 * The kernel's own account of a test: oopses, BUGs and warnings in its log (/dev/kmsg), and the
 * taint flag that says an oops already happened since boot. A task that oopses dies holding its
 * locks — after an oops inside tracefs code, the next read of a probe file blocks forever — so
 * tests that can oops the kernel check here before they touch tracefs again.
 */
import { closeSync, constants, openSync, readFileSync, readSync } from 'node:fs';

/**
 * Kernel messages that mean the kernel itself went wrong: `BUG: …` (NULL dereference, bad page
 * fault), `Oops: …`, `kernel BUG at …`, a general protection fault (6.1 prints it without "Oops"),
 * and `WARNING: …` (WARN(), lockdep, RCU).
 */
export const KERNEL_PROBLEM = /^(?:BUG:|Oops\b|kernel BUG at|general protection fault|WARNING:)/;

/** The fatal subset of {@link KERNEL_PROBLEM}: the task died, holding whatever locks it held. */
export const KERNEL_OOPS = /^(?:BUG:|Oops\b|kernel BUG at|general protection fault)/;

/** Taint bit 7, `D`: the kernel oopsed or hit BUG() since boot. */
const TAINT_DIE = 1 << 7;

/** One record of the kernel log. */
export interface KernelLogRecord {
  /** The kernel's record sequence number, increasing through the boot. */
  seq: number;
  /** Syslog level, 0 (emergency) to 7 (debug). */
  level: number;
  text: string;
}

/**
 * Every record still in the kernel's log buffer, oldest first. Reads /dev/kmsg without blocking
 * (each read returns one record); needs root.
 */
export function readKernelLog(): KernelLogRecord[] {
  const records: KernelLogRecord[] = [];
  const fd = openSync('/dev/kmsg', constants.O_RDONLY | constants.O_NONBLOCK);
  // A record is at most ~1 KiB of text (plus escapes); a shorter buffer makes read() fail with EINVAL.
  const buffer = Buffer.alloc(16 * 1024);
  try {
    for (;;) {
      let length: number;
      try {
        length = readSync(fd, buffer, 0, buffer.length, null);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') break; // read everything there is
        if (code === 'EPIPE') continue; // the ring overwrote records before we got to them: read on
        throw error;
      }
      if (length === 0) break;
      // "LEVEL_AND_FACILITY,SEQ,USEC,FLAGS[,…];TEXT\n", then " KEY=VALUE" continuation lines.
      const record = buffer.toString('utf8', 0, length);
      const head = /^(\d+),(\d+),[^;]*;([^\n]*)/.exec(record);
      if (head) records.push({ level: Number(head[1]) & 7, seq: Number(head[2]), text: head[3]! });
    }
  } finally {
    closeSync(fd);
  }
  return records;
}

/** The sequence number of the newest kernel log record: later records are "since" this mark. */
export function kernelLogMark(): number {
  return readKernelLog().at(-1)?.seq ?? -1;
}

/** Kernel log lines after `mark` that report a kernel problem ({@link KERNEL_PROBLEM}). */
export function kernelProblemsSince(mark: number): string[] {
  return readKernelLog()
    .filter((record) => record.seq > mark && KERNEL_PROBLEM.test(record.text))
    .map((record) => record.text);
}

/** True once the kernel has oopsed since boot (taint `D`). */
export function kernelHasOopsed(): boolean {
  return (Number(readFileSync('/proc/sys/kernel/tainted', 'utf8').trim()) & TAINT_DIE) !== 0;
}

/**
 * Throws when the kernel has oopsed since boot: the dead task may hold event_mutex, and reading a
 * probe file would then block this process forever (and with it the whole VM run).
 */
export function assertKernelUsable(): void {
  if (!kernelHasOopsed()) return;
  const oops = readKernelLog()
    .filter((record) => KERNEL_OOPS.test(record.text))
    .map((record) => record.text);
  throw new Error(
    `the kernel oopsed earlier in this boot (taint D), so this test does not touch tracefs (it may be locked ` +
      `forever): ${oops.slice(0, 3).join(' | ') || 'the oops text left the log buffer'}`,
  );
}
