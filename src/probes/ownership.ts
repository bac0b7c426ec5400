/**
 * Who owns which probe. Probes perf-bridge creates live in a group named after the owner process
 * (`perfbridge_<pid>_<n>`), and every probe — including those in groups the user named — is listed
 * in the owner's registry record before it is written to tracefs, with the line tracefs shows for
 * it once created. A probe is only ever removed by its owner, or by a sweep after its owner died,
 * and only while its event still consists of exactly that line.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { threadId } from 'node:worker_threads';

import { RegistryError } from '../errors.js';
import { registryDir } from './registry-dir.js';
import {
  isRecordFileName,
  type OwnedProbe,
  type OwnerRecord,
  readRecord,
  recordFileName,
  removeRecord,
  writeRecord,
} from './registry-record.js';

export type { OwnedProbe } from './registry-record.js';

/** Prefix of the groups perf-bridge names after their owner. */
export const OWNER_GROUP_PREFIX = 'perfbridge';

/**
 * A group name for this process's n-th probe set. Worker threads share the pid, so theirs carry
 * the thread id too.
 */
export function ownerGroup(sequence: number, pid: number = process.pid): string {
  const thread = threadId === 0 ? '' : `w${threadId}_`;
  return `${OWNER_GROUP_PREFIX}_${pid}_${thread}${sequence}`;
}

/** Marks a start time /proc could not tell: the owner must then be treated as alive. */
const UNKNOWN = Symbol('unknown start time');

/**
 * A process's start time from /proc/PID/stat (field 22): undefined when no such process exists,
 * {@link UNKNOWN} when /proc could not tell.
 */
function processStartTime(pid: number): string | undefined | typeof UNKNOWN {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ESRCH' ? undefined : UNKNOWN;
  }
  // Fields after the command name, which may itself contain spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19] ?? UNKNOWN;
}

/** This process's start time; without it no record could be told from a later one with our pid. */
function ownStartTime(): string {
  const startTime = processStartTime(process.pid);
  if (typeof startTime !== 'string') {
    throw new RegistryError(
      "cannot read this process's start time from /proc/self/stat",
      'NO_REGISTRY',
      'mount /proc: perf-bridge records it with each probe so a reused pid is never taken for the owner',
    );
  }
  return startTime;
}

/** This process's pid namespace, as the link text of /proc/self/ns/pid (`pid:[4026531836]`). */
function pidNamespace(): string | undefined {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return undefined;
  }
}

/** True unless the record's owner is known to be gone: no such pid, or another process has it. */
function isOwnerAlive(record: OwnerRecord): boolean {
  const now = processStartTime(record.pid);
  return now === UNKNOWN || now === record.startTime;
}

/** What identifies a probe in tracefs: its file and GROUP/EVENT. */
export type ProbeName = Pick<OwnedProbe, 'file' | 'group' | 'event'>;

function sameProbe(a: ProbeName, b: ProbeName): boolean {
  return a.file === b.file && a.group === b.group && a.event === b.event;
}

/** This process's (or worker thread's) record: the probes it created and has not removed yet. */
export class OwnerRegistry {
  private readonly probes: OwnedProbe[] = [];
  private readonly startTime = ownStartTime();
  private readonly name = recordFileName(process.pid, this.startTime, threadId);
  private readonly pidNamespace = pidNamespace();

  /** `dir`: the verified registry directory. */
  constructor(readonly dir: string = registryDir()) {}

  /** Records a probe; call before writing it to tracefs, so a crash cannot leave it unlisted. */
  add(probe: OwnedProbe): void {
    this.probes.push({ ...probe });
    try {
      this.save();
    } catch (error) {
      this.probes.pop(); // not recorded, so it must not be written either
      throw error;
    }
  }

  /** Records the line tracefs shows for a probe once it exists. */
  confirm(probe: ProbeName, line: string): void {
    const entry = this.probes.find((p) => sameProbe(p, probe));
    if (entry) entry.line = line;
    this.save();
  }

  /** Forgets a probe after it was removed (or never created, or is no longer ours alone). */
  delete(probe: ProbeName): void {
    const index = this.probes.findIndex((p) => sameProbe(p, probe));
    if (index >= 0) this.probes.splice(index, 1);
    this.save();
  }

  private save(): void {
    if (this.probes.length === 0) {
      removeRecord(this.dir, this.name);
      return;
    }
    writeRecord(this.dir, this.name, {
      version: 2,
      pid: process.pid,
      ...(threadId === 0 ? {} : { threadId }),
      ...(this.pidNamespace === undefined ? {} : { pidNamespace: this.pidNamespace }),
      startTime: this.startTime,
      probes: this.probes,
    });
  }
}

/** A record file that could not be trusted, with the reason; it is left as it is. */
export interface SkippedRecord {
  path: string;
  reason: string;
}

/** Every trusted record in the registry, split by whether the owner runs, and the untrusted ones. */
export interface RegistryScan {
  dir: string;
  live: OwnerRecord[];
  dead: { name: string; record: OwnerRecord }[];
  skipped: SkippedRecord[];
}

/**
 * Reads every record. Records written in another pid namespace (a container sharing this /run)
 * count as live: their pids cannot be checked from here, so their probes are never swept.
 */
export function scanRegistry(dir: string = registryDir()): RegistryScan {
  const scan: RegistryScan = { dir, live: [], dead: [], skipped: [] };
  const ourNamespace = pidNamespace();
  for (const name of readdirSync(dir)) {
    if (!isRecordFileName(name)) continue;
    const read = readRecord(dir, name);
    if (!read.ok) {
      scan.skipped.push({ path: `${dir}/${name}`, reason: read.reason });
    } else if (read.record.pidNamespace !== undefined && read.record.pidNamespace !== ourNamespace) {
      scan.live.push(read.record);
    } else if (isOwnerAlive(read.record)) {
      scan.live.push(read.record);
    } else {
      scan.dead.push({ name, record: read.record });
    }
  }
  return scan;
}

/** The pid of the live perf-bridge process whose record lists `group/event`, if any. */
export function liveOwnerOf(scan: RegistryScan, group: string, event: string): number | undefined {
  return scan.live.find((record) => record.probes.some((p) => p.group === group && p.event === event))?.pid;
}

/**
 * Rewrites a dead owner's record to list only `left` (the probes a sweep could not remove yet), or
 * removes it when nothing is left: a later sweep must not act on names that are free again.
 */
export function rewriteDeadRecord(scan: RegistryScan, name: string, record: OwnerRecord, left: OwnedProbe[]): void {
  if (left.length === 0) removeRecord(scan.dir, name);
  else writeRecord(scan.dir, name, { ...record, probes: left });
}
