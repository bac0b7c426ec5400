/**
 * The rules that keep perf-bridge from touching probes it does not own. The kernel appends a
 * definition whose GROUP/EVENT exists (same probe type) to that event instead of refusing it, and
 * `-:GROUP/EVENT` removes every probe point of the event — also those of other tracers, even while
 * they use them, which can oops the kernel when they close. So perf-bridge writes a name only when
 * it is free, and removes an event only while every line it has is the one perf-bridge wrote.
 */
import { ProbeConflictError, KernelError } from '../errors.js';
import { eventExists, type ProbeEventsFile, probeLinesOf, writeProbeCommand } from '../tracefs/probe-files.js';
import { printDeleteCommand } from './print.js';
import { liveOwnerOf, type OwnedProbe, type RegistryScan } from './ownership.js';

const RENAME_HINT = 'choose another event name (NAME in p:GROUP/NAME), or leave GROUP/NAME out for a private name';

/**
 * Throws {@link ProbeConflictError} unless GROUP/EVENT is free: no probe line and no event of any
 * kind by that name. Call holding the probe lock, right before writing.
 */
export function assertNameFree(
  root: string,
  scan: RegistryScan,
  file: ProbeEventsFile,
  group: string,
  event: string,
): void {
  const probe = `${group}/${event}`;
  const ownerPid = liveOwnerOf(scan, group, event);
  if (ownerPid !== undefined) {
    const who = ownerPid === process.pid ? 'another session of this process' : `perf-bridge process ${ownerPid}`;
    throw new ProbeConflictError(`probe ${probe} already exists: it belongs to ${who}`, {
      probe,
      ownerPid,
      hint: RENAME_HINT,
    });
  }
  const lines = probeLinesOf(root, file, group, event);
  if (lines.length > 0) {
    throw new ProbeConflictError(`probe ${probe} already exists and perf-bridge did not create it: ${lines[0]!}`, {
      probe,
      hint: `the kernel would add this definition to that event rather than refuse it; ${RENAME_HINT}`,
    });
  }
  if (eventExists(root, group, event)) {
    throw new ProbeConflictError(`an event ${probe} already exists (a tracepoint or another tool's event)`, {
      probe,
      hint: RENAME_HINT,
    });
  }
}

/**
 * The line tracefs lists for a probe just written. Exactly one must have appeared: more means the
 * kernel appended ours to an event another tool created at the same moment (it then stays theirs,
 * and is reported, never removed); none means it vanished.
 */
export function createdLine(root: string, probe: OwnedProbe): string {
  const lines = probeLinesOf(root, probe.file, probe.group, probe.event);
  if (lines.length === 1) return lines[0]!;
  const name = `${probe.group}/${probe.event}`;
  throw new ProbeConflictError(
    lines.length === 0
      ? `probe ${name} was written but tracefs does not list it (another tool removed it)`
      : `probe ${name} was created by another tool at the same moment: the kernel added our definition to ` +
          `that event (${lines.length} probe points now); perf-bridge leaves it alone rather than remove theirs`,
    { probe: name, hint: RENAME_HINT },
  );
}

/** Numbers written the same way, `SYM+0` as `SYM`: uprobe offsets are listed zero-padded, for one. */
function normalizedHead(line: string): string {
  return line
    .split(' ')
    .slice(0, 2)
    .join(' ')
    .replace(/0x[0-9a-fA-F]+|\b\d+\b/g, (n) => BigInt(n).toString())
    .replace(/\+0$/, '');
}

/** How a recorded probe stands in tracefs now. */
export type ProbeStanding = 'gone' | 'ours' | 'shared';

/**
 * Whether the event still consists of exactly the recorded probe. For a record saved before its
 * write completed (no line yet), the single listed line must have the recorded probe point.
 */
export function standingOf(root: string, probe: OwnedProbe): ProbeStanding {
  const lines = probeLinesOf(root, probe.file, probe.group, probe.event);
  if (lines.length === 0) return 'gone';
  if (lines.length > 1) return 'shared';
  if (probe.line !== null) return lines[0] === probe.line ? 'ours' : 'shared';
  return normalizedHead(lines[0]!) === normalizedHead(probe.command) ? 'ours' : 'shared';
}

/** What became of one attempt to remove a recorded probe. */
export type RemovalOutcome =
  | { status: 'removed' | 'gone' }
  /** Its event has probe points perf-bridge did not write: left alone, no `-:` written. */
  | { status: 'shared' }
  /** The kernel refused (EBUSY: another tracer has it open or enabled); try again later. */
  | { status: 'failed'; error: KernelError | Error };

/** Removes a recorded probe if, and only if, its event is still exactly what we wrote. */
export function removeIfOurs(root: string, probe: OwnedProbe, what: string): RemovalOutcome {
  const standing = standingOf(root, probe);
  if (standing !== 'ours') return { status: standing };
  try {
    writeProbeCommand(root, probe.file, printDeleteCommand(probe), `${what} ${probe.group}/${probe.event}`);
    return { status: 'removed' };
  } catch (error) {
    if (error instanceof KernelError && error.code === 'ENOENT') return { status: 'gone' };
    return { status: 'failed', error: error as Error };
  }
}
