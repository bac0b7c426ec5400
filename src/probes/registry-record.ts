/**
 * One ownership record: the probes one perf-bridge process (or worker thread) created and has not
 * removed yet, stored as `<pid>-<start time>.json` (`…-w<thread>.json` for workers) in the registry directory.
 * Records are written atomically (a new file opened O_EXCL|O_NOFOLLOW, then renamed over the old
 * one) and read strictly: anything that is not exactly what perf-bridge writes is refused.
 */
import { closeSync, constants, fstatSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

import type { ProbeEventsFile } from '../tracefs/probe-files.js';
import { LIMITS } from './definition.js';
import { isGoodName } from './names.js';

/** A probe as its owner recorded it. */
export interface OwnedProbe {
  file: ProbeEventsFile;
  group: string;
  event: string;
  /** The definition written to `file`. */
  command: string;
  /**
   * The event's line as tracefs listed it right after creation; null while the write is under
   * way (the record is saved before the write, so a crash cannot leave a probe unrecorded).
   */
  line: string | null;
}

/** The contents of one record file. */
export interface OwnerRecord {
  version: typeof RECORD_VERSION;
  pid: number;
  /** The worker thread id, for records of worker threads (which share the process's pid). */
  threadId?: number;
  /** The owner's pid namespace (`/proc/self/ns/pid` link text): pids mean something only inside it. */
  pidNamespace?: string;
  /** Start time of the owner (clock ticks since boot): tells a reused pid from the owner. */
  startTime: string;
  probes: OwnedProbe[];
}

const RECORD_VERSION = 2;
const PROBE_FILES: readonly string[] = ['kprobe_events', 'uprobe_events', 'dynamic_events'];
const MAX_RECORD_BYTES = 1 << 20;
const MAX_LINE = 8192;

/**
 * The record file name of an owner. The start time is part of it, so a process that gets a dead
 * owner's pid never overwrites that owner's record (which may still list probes to sweep).
 */
export function recordFileName(pid: number, startTime: string, threadId: number): string {
  return threadId === 0 ? `${pid}-${startTime}.json` : `${pid}-${startTime}-w${threadId}.json`;
}

const RECORD_NAME = /^([1-9]\d{0,9})-(\d{1,20})(?:-w([1-9]\d{0,9}))?\.json$/;

/** True for names {@link recordFileName} produces. */
export function isRecordFileName(name: string): boolean {
  return RECORD_NAME.test(name);
}

/** Writes `record` as `dir/name` atomically, never following a link planted at either path. */
export function writeRecord(dir: string, name: string, record: OwnerRecord): void {
  const temporary = join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  const fd = openSync(temporary, flags, 0o600);
  try {
    writeAll(fd, Buffer.from(JSON.stringify(record)));
  } catch (error) {
    closeSync(fd);
    unlinkSync(temporary);
    throw error;
  }
  closeSync(fd);
  try {
    renameSync(temporary, join(dir, name)); // replaces a planted link itself, never its target
  } catch (error) {
    unlinkSync(temporary);
    throw error;
  }
}

/** Writes every byte of `data` (a short write, e.g. on a full disk, would leave a torn record). */
function writeAll(fd: number, data: Buffer): void {
  for (let written = 0; written < data.length;) written += writeSync(fd, data, written);
}

/** Removes a record file; one already gone is fine. */
export function removeRecord(dir: string, name: string): void {
  try {
    unlinkSync(join(dir, name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** A record file read back: its content, or why it cannot be trusted. */
export type ReadRecord = { ok: true; record: OwnerRecord } | { ok: false; reason: string };

/** Reads and checks `dir/name`: a regular file of ours, not a link, holding a well-formed record. */
export function readRecord(dir: string, name: string): ReadRecord {
  let text: string;
  try {
    text = readOwnFile(join(dir, name));
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not valid JSON (torn or foreign)' };
  }
  const problem = recordProblem(value, name);
  return problem === undefined ? { ok: true, record: value as OwnerRecord } : { ok: false, reason: problem };
}

function readOwnFile(path: string): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new Error('not a regular file');
    const euid = process.geteuid?.();
    if (euid !== undefined && stat.uid !== euid) throw new Error(`owned by uid ${stat.uid}, not ${euid}`);
    if (stat.size > MAX_RECORD_BYTES) throw new Error(`too large (${stat.size} bytes)`);
    const buffer = Buffer.alloc(stat.size);
    let read = 0;
    while (read < buffer.length) {
      const n = readSync(fd, buffer, read, buffer.length - read, read);
      if (n === 0) break;
      read += n;
    }
    return buffer.toString('utf8', 0, read);
  } finally {
    closeSync(fd);
  }
}

/** What is wrong with a parsed record, or undefined when it is exactly what perf-bridge writes. */
function recordProblem(value: unknown, name: string): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not an object';
  const record = value as Record<string, unknown>;
  if (record.version !== RECORD_VERSION) return `unknown record version ${JSON.stringify(record.version)}`;
  const [, pid, startTime, thread] = RECORD_NAME.exec(name) ?? [];
  if (record.pid !== Number(pid)) return `pid ${JSON.stringify(record.pid)} does not match the file name`;
  if (record.startTime !== startTime) return 'startTime does not match the file name';
  if ((record.threadId ?? 0) !== Number(thread ?? 0)) return 'thread id does not match the file name';
  const namespace = record.pidNamespace;
  if (namespace !== undefined && !(typeof namespace === 'string' && /^pid:\[\d+\]$/.test(namespace))) {
    return 'malformed pidNamespace';
  }
  if (typeof record.startTime !== 'string' || !/^\d{1,20}$/.test(record.startTime)) return 'malformed startTime';
  if (!Array.isArray(record.probes)) return 'probes is not a list';
  for (const [i, probe] of record.probes.entries()) {
    const problem = probeProblem(probe);
    if (problem !== undefined) return `probe #${i}: ${problem}`;
  }
  return undefined;
}

function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

function isSingleLine(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_LINE && !hasControlCharacter(value);
}

function isKernelName(value: unknown): value is string {
  return typeof value === 'string' && isGoodName(value) && value.length <= LIMITS.maxNameLength;
}

function probeProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return 'not an object';
  const probe = value as Record<string, unknown>;
  if (typeof probe.file !== 'string' || !PROBE_FILES.includes(probe.file)) return 'file is not a probe file';
  if (!isKernelName(probe.group)) return 'bad group name';
  if (!isKernelName(probe.event)) return 'bad event name';
  const names = `:${probe.group}/${probe.event} `;
  if (!isSingleLine(probe.command) || !probe.command.includes(names)) return 'command does not define this probe';
  if (probe.line !== null && (!isSingleLine(probe.line) || !probe.line.includes(names))) {
    return 'line is not this probe';
  }
  return undefined;
}
