/**
 * Writing dynamic probe definitions into tracefs (`kprobe_events`, `uprobe_events`,
 * `dynamic_events`), with the kernel's `error_log` explanation when it refuses one, and reading
 * back what exists and how often it fired.
 */
import { accessSync, appendFileSync, constants, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { cutInput, kernelErrorFrom } from '../errors.js';

/** The tracefs files that take probe definitions. */
export type ProbeEventsFile = 'kprobe_events' | 'uprobe_events' | 'dynamic_events';

/** A probe event that exists in tracefs: one probe line of a probe file. */
interface ExistingProbe {
  file: ProbeEventsFile;
  group: string;
  event: string;
  /** The line as tracefs lists it. */
  line: string;
}

/**
 * The kernel's error_log messages (trace_probe.h ERRORS) that say more than the errno, which
 * differs between kernels for the same mistake (6.1: ENOENT, 6.12: EINVAL for a missing symbol).
 */
const ERROR_LOG_HINTS: [RegExp, string][] = [
  [
    /Invalid probed address or symbol|Failed to find symbol/,
    'no such symbol, or its module is not loaded: check the name in /proc/kallsyms (or load the module)',
  ],
  [
    /not an instruction boundary/,
    'the offset is not on an instruction boundary: probe the function start (+0) or an offset taken from objdump -d',
  ],
  [
    /symbol is not unique/,
    'several kernel functions share this name: probe one by address (from /proc/kallsyms), or as MODULE:SYMBOL',
  ],
  [
    /Failed to find the given file/,
    'the binary does not exist: check the path (it must be absolute or relative to the tracer)',
  ],
  [
    /This probe point already exists|already exists/,
    'an event with this group/name already exists: choose another event name (NAME in p:GROUP/NAME)',
  ],
];

/** What a refused probe write means, from the kernel's error_log line when known, else from errno. */
function hintForProbeWrite(code: string, file: ProbeEventsFile, errorLog: string): string {
  for (const [pattern, hint] of ERROR_LOG_HINTS) if (pattern.test(errorLog)) return hint;
  switch (code) {
    case 'EADDRNOTAVAIL':
      return 'several kernel functions share this name: probe one by address (from /proc/kallsyms), or as MODULE:SYMBOL';
    case 'ENOENT':
      return file === 'uprobe_events'
        ? 'the binary or offset does not exist: check the path and that the offset lies in an executable section'
        : 'no such symbol, or its module is not loaded: check /proc/kallsyms (or load the module) and the spelling';
    case 'EILSEQ':
      return 'the offset is not on an instruction boundary: probe the function start (+0) or an offset taken from objdump -d';
    case 'EBUSY':
      return 'the event is in use (enabled or opened by a tracer): stop that tracer, then retry';
    case 'EEXIST':
      return 'an event with this group/name already exists: choose another event name (NAME in p:GROUP/NAME)';
    case 'E2BIG':
      return 'the definition is too large: use fewer or shorter fetch arguments';
    case 'EINVAL':
      return 'the kernel rejected the definition: the error_log above points at the part it refused';
    case 'ENODEV':
      return 'the target is not probeable (e.g. not in kernel text, or blacklisted): choose another function';
    case 'EACCES':
    case 'EPERM':
      return 'creating probes needs root (CAP_SYS_ADMIN); lockdown mode may also forbid kprobes';
    default:
      return 'see the kernel error_log for details';
  }
}

/** Reads tracefs `error_log` (empty when the kernel has none). */
export function readErrorLog(root: string): string {
  try {
    return readFileSync(join(root, 'error_log'), 'utf8');
  } catch {
    return '';
  }
}

/** The part of the error log that was appended after `before` was read. */
function newErrorLogText(before: string, after: string): string {
  if (after.startsWith(before)) return after.slice(before.length);
  // The log is a bounded ring: when old entries dropped out, keep the last entry only.
  const entries = after.split(/\n(?=\[)/);
  return entries[entries.length - 1] ?? '';
}

/** Throws a {@link KernelError} saying why `path` cannot take definitions: missing, or no permission. */
function assertProbeFileWritable(path: string, file: ProbeEventsFile, what: string): void {
  try {
    accessSync(path, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') {
      throw kernelErrorFrom(error, `cannot ${what}: no permission to write ${path}`, {
        hint: 'creating probes needs root (or CAP_SYS_ADMIN for tracefs); run as root',
      });
    }
    const feature =
      file === 'kprobe_events'
        ? 'kprobe_events (CONFIG_KPROBE_EVENTS)'
        : file === 'uprobe_events'
          ? 'uprobe_events (CONFIG_UPROBE_EVENTS)'
          : 'dynamic_events';
    throw kernelErrorFrom(error, `kernel has no ${feature}: cannot ${what}`, {
      hint: 'this kernel was built without that probe type; use a kernel with it, or tracepoints instead',
    });
  }
}

/**
 * Appends one command line (a definition, or `-:GROUP/EVENT`) to a probe file. On failure throws a
 * {@link KernelError} carrying errno, code, the syscall, a hint, and the kernel's error_log lines.
 */
export function writeProbeCommand(root: string, file: ProbeEventsFile, line: string, what: string): void {
  if (/[\n\r\0]/.test(line)) {
    // A bug if ever reached (definitions are validated); a second line could touch another probe.
    throw new Error(`refusing to write a multi-line command to ${file}`);
  }
  const path = join(root, file);
  assertProbeFileWritable(path, file, what);
  const before = readErrorLog(root);
  try {
    appendFileSync(path, `${line}\n`);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
    const log = newErrorLogText(before, readErrorLog(root)).trimEnd();
    throw kernelErrorFrom(error, `cannot ${what}: ${code} writing "${cutInput(line)}" to ${file}`, {
      hint: hintForProbeWrite(code, file, log),
      errorLog: log || undefined,
    });
  }
}

const PROBE_LINE = /^[a-z]\d*:([^/\s]+)\/(\S+) /;

/**
 * Lists the probes defined in one probe file: none when the kernel lacks the file. Any other read
 * failure throws, because "no lines" would read as "the name is free" or "the probe is gone".
 */
export function listProbes(root: string, file: ProbeEventsFile): ExistingProbe[] {
  let text: string;
  try {
    text = readFileSync(join(root, file), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw kernelErrorFrom(error, `reading ${file}`);
  }
  const probes: ExistingProbe[] = [];
  for (const line of text.split('\n')) {
    const match = PROBE_LINE.exec(line);
    if (match) probes.push({ file, group: match[1]!, event: match[2]!, line });
  }
  return probes;
}

/**
 * The lines `file` lists for GROUP/EVENT, in order: one per probe point. More than one means the
 * kernel appended a definition to an existing event (multi-probe events).
 */
export function probeLinesOf(root: string, file: ProbeEventsFile, group: string, event: string): string[] {
  return listProbes(root, file)
    .filter((probe) => probe.group === group && probe.event === event)
    .map((probe) => probe.line);
}

/** True when tracefs has an event GROUP/EVENT of any kind (tracepoint, probe, synthetic...). */
export function eventExists(root: string, group: string, event: string): boolean {
  return existsSync(join(root, 'events', group, event));
}

/** One line of `kprobe_profile` or `uprobe_profile`. */
export interface ProbeProfileEntry {
  /** The event name as the profile shows it (`EVENT`, or `GROUP/EVENT` on some kernels). */
  name: string;
  /** The probed file, for uprobes. */
  path?: string;
  hits: number;
  /** Missed hits (kprobes: recursion, or kretprobe maxactive exhausted); uprobes report none. */
  misses: number;
}

/** Reads `kprobe_profile` (`EVENT hits misses`) and `uprobe_profile` (`PATH EVENT hits`). */
export function readProbeProfiles(root: string): ProbeProfileEntry[] {
  const read = (file: string) => {
    try {
      return readFileSync(join(root, file), 'utf8');
    } catch {
      return '';
    }
  };
  const entries: ProbeProfileEntry[] = [];
  for (const line of read('kprobe_profile').split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts.length === 3) entries.push({ name: parts[0]!, hits: Number(parts[1]), misses: Number(parts[2]) });
  }
  for (const line of read('uprobe_profile').split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts.length >= 3) {
      entries.push({
        name: parts[parts.length - 2]!,
        path: parts.slice(0, -2).join(' '),
        hits: Number(parts[parts.length - 1]),
        misses: 0,
      });
    }
  }
  return entries;
}
