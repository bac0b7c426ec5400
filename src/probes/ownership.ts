/**
 * Who owns which probe. Probes perf-bridge creates live in a group named after the owner process
 * (`perfbridge_<pid>_<n>`), and every probe — including those in groups the user named — is listed
 * in the owner's registry file before it is written to tracefs. A probe is only ever removed by
 * its owner, or by a sweep after its owner died; nothing else is touched.
 */
import { mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { ProbeEventsFile } from '../tracefs/probe-files.js';

/** Prefix of the groups perf-bridge names after their owner. */
export const OWNER_GROUP_PREFIX = 'perfbridge';

/** A probe as recorded in its owner's registry. */
export interface OwnedProbe {
  file: ProbeEventsFile;
  group: string;
  event: string;
}

/** The contents of one registry file. */
interface RegistryFile {
  pid: number;
  /** The owner's pid namespace (`/proc/self/ns/pid` inode): pids mean something only inside it. */
  pidNamespace?: string;
  /** Start time of the owner (clock ticks since boot): tells a reused pid from the owner. */
  startTime: string;
  probes: OwnedProbe[];
}

/** A group name for this process's n-th probe set. */
export function ownerGroup(sequence: number, pid: number = process.pid): string {
  return `${OWNER_GROUP_PREFIX}_${pid}_${sequence}`;
}

/** A process's start time from /proc/PID/stat (field 22), or undefined if it does not exist. */
function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may itself contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

/** This process's pid namespace, as the link text of /proc/self/ns/pid (`pid:[4026531836]`). */
export function pidNamespace(): string | undefined {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return undefined;
  }
}

/** True when `pid` runs and, if a start time is given, is the same process that had it. */
function isOwnerAlive(pid: number, startTime?: string): boolean {
  const now = processStartTime(pid);
  return now !== undefined && (startTime === undefined || now === startTime);
}

/** The directory of registry files: /run/perf-bridge, or the temp dir where /run is not writable. */
export function registryDir(): string {
  for (const dir of [process.env.PERF_BRIDGE_REGISTRY_DIR, '/run/perf-bridge', join(tmpdir(), 'perf-bridge-registry')]) {
    if (!dir) continue;
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      return dir;
    } catch {
      // try the next place
    }
  }
  return join(tmpdir(), 'perf-bridge-registry');
}

/** This process's registry: the probes it created and has not removed yet. */
export class OwnerRegistry {
  private readonly path: string;
  private readonly probes: OwnedProbe[] = [];
  private readonly startTime = processStartTime(process.pid) ?? '0';
  private readonly pidNamespace = pidNamespace();

  constructor(dir: string = registryDir()) {
    this.path = join(dir, `${process.pid}.json`);
  }

  /** Records a probe; call before writing it to tracefs, so a crash cannot leave it unlisted. */
  add(probe: OwnedProbe): void {
    this.probes.push(probe);
    this.save();
  }

  /** Forgets a probe after it was removed (or never created). */
  delete(probe: OwnedProbe): void {
    const index = this.probes.findIndex((p) => p.file === probe.file && p.group === probe.group && p.event === probe.event);
    if (index >= 0) this.probes.splice(index, 1);
    this.save();
  }

  private save(): void {
    if (this.probes.length === 0) {
      rmSync(this.path, { force: true });
      return;
    }
    const content: RegistryFile = { pid: process.pid, pidNamespace: this.pidNamespace, startTime: this.startTime, probes: this.probes };
    writeFileSync(this.path, JSON.stringify(content));
  }
}

/**
 * Registry entries whose owner is no longer running. Entries written in another pid namespace
 * (a container sharing this /run) are left alone: their pids cannot be checked from here.
 */
export function deadOwnerRecords(dir: string = registryDir()): { path: string; probes: OwnedProbe[] }[] {
  const dead: { path: string; probes: OwnedProbe[] }[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return dead;
  }
  const ours = pidNamespace();
  for (const name of names) {
    if (!/^\d+\.json$/.test(name)) continue;
    const path = join(dir, name);
    try {
      const record = JSON.parse(readFileSync(path, 'utf8')) as RegistryFile;
      if (record.pidNamespace !== undefined && record.pidNamespace !== ours) continue;
      if (!isOwnerAlive(record.pid, record.startTime)) dead.push({ path, probes: record.probes });
    } catch {
      // A torn or foreign file: not ours to interpret, leave it.
    }
  }
  return dead;
}
