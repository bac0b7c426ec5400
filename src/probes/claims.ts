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

/**
 * The type letter, names and probe point of a definition or listed line, written the way tracefs
 * lists them: numbers normalised (uprobe offsets are listed zero-padded), `SYM+0` as `SYM`, and a
 * `%return` suffix as the `r` type letter.
 */
function normalizedHead(line: string): string {
  const [type = '', point = ''] = line.split(' ');
  const isReturn = point.includes('%return');
  const head = `${isReturn ? type.replace(/^p/, 'r') : type} ${point.replace('%return', '')}`;
  return head.replace(/0x[0-9a-fA-F]+|\b\d+\b/g, (n) => BigInt(n).toString()).replace(/\+0$/, '');
}

/** How a recorded probe stands in tracefs now; for `ours`, with the line that is listed. */
type ProbeStanding = { status: 'gone' | 'shared' } | { status: 'ours'; line: string };

/**
 * Whether the event still consists of exactly the recorded probe. For a record saved before its
 * write completed (no line yet), the single listed line must have the recorded probe point.
 */
function standingOf(root: string, probe: OwnedProbe): ProbeStanding {
  const lines = probeLinesOf(root, probe.file, probe.group, probe.event);
  const [line] = lines;
  if (line === undefined) return { status: 'gone' };
  if (lines.length > 1) return { status: 'shared' };
  const same = probe.line !== null ? line === probe.line : normalizedHead(line) === normalizedHead(probe.command);
  return same ? { status: 'ours', line } : { status: 'shared' };
}

/**
 * `-:GROUP/EVENT` followed by the probe point and arguments of `line`. Kernels that match them (6.1,
 * 6.12 and 6.18 do) delete only that probe point, so one another tool appended between our check
 * and our write is never deleted with ours; a kernel that ignored them would delete the event,
 * which the check just found to hold exactly our line.
 */
function deleteCommand(probe: OwnedProbe, line: string): string {
  return `${printDeleteCommand(probe)} ${line.slice(line.indexOf(' ') + 1)}`;
}

/** What became of one attempt to remove a recorded probe. */
export type RemovalOutcome =
  | { status: 'removed' | 'gone' }
  /** Its event has probe points perf-bridge did not write: left alone, no `-:` written. */
  | { status: 'shared' }
  /** The kernel refused (EBUSY: another tracer has it open or enabled), or tracefs could not be read. */
  | { status: 'failed'; error: Error };

/** Removes a recorded probe if, and only if, its event is still exactly what we wrote. */
export function removeIfOurs(root: string, probe: OwnedProbe, what: string): RemovalOutcome {
  try {
    const standing = standingOf(root, probe);
    if (standing.status !== 'ours') return standing;
    writeProbeCommand(root, probe.file, deleteCommand(probe, standing.line), `${what} ${probe.group}/${probe.event}`);
    return { status: 'removed' };
  } catch (error) {
    // ENOENT: nothing matched. Gone, unless the kernel did not recognise our probe point (then say so).
    if (error instanceof KernelError && error.code === 'ENOENT' && isGone(root, probe)) return { status: 'gone' };
    return { status: 'failed', error: error as Error };
  }
}

function isGone(root: string, probe: OwnedProbe): boolean {
  try {
    return probeLinesOf(root, probe.file, probe.group, probe.event).length === 0;
  } catch {
    return false;
  }
}
