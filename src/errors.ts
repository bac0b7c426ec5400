/**
 * The errors perf-bridge raises, each naming what went wrong and what to do about it, and the one
 * factory that turns a failed system call into a {@link KernelError}.
 */
import { constants as osConstants } from 'node:os';
import { getSystemErrorName } from 'node:util';

/**
 * Base class of every error perf-bridge throws on purpose: each says in `code` what went wrong
 * (stable across message rewording) and in `hint` what to do about it.
 */
export abstract class PerfBridgeError extends Error {
  /** Why it failed, machine-readable; each subclass lists its codes. */
  abstract readonly code: string;
  /** What the user can do about it; the message ends with it as `hint: …`. */
  readonly hint: string;
  constructor(message: string, options: { hint: string; cause?: unknown }) {
    super(options.hint ? `${message}\n  hint: ${options.hint}` : message, { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
  }
}

/** What {@link KernelError}'s constructor needs; {@link kernelError} fills in the hint. */
export interface KernelErrorFields {
  /** The errno the system call failed with (positive; a Node error's negative errno is accepted too). */
  readonly errno: number;
  /** The system call that failed: `open`, `write`, `perf_event_open`, `mmap`, … */
  readonly syscall: string;
  /** What to do about it. */
  readonly hint: string;
  /** The tracefs `error_log` lines the kernel wrote for this failure. */
  readonly errorLog?: string | undefined;
  /** The error the call raised, when there is one. */
  readonly cause?: unknown;
}

/**
 * A failed system call (or tracefs write), carrying errno, code and syscall like Node's own errors.
 * `code` is always the name of `errno`, never chosen by the caller. Build one with
 * {@link kernelError} or {@link kernelErrorFrom}, which add the hint for the errno.
 */
export class KernelError extends PerfBridgeError {
  /** The errno, positive (`2` for ENOENT). */
  readonly errno: number;
  /** The errno's name as Node spells it (`ENOENT`, `EACCES`, …). */
  readonly code: string;
  /** The system call that failed. */
  readonly syscall: string;
  /** The tracefs `error_log` lines the kernel wrote for this failure, when there are any. */
  readonly errorLog: string | undefined;
  constructor(message: string, fields: KernelErrorFields) {
    const withLog = fields.errorLog ? `${message}\n  kernel error_log:\n${indent(fields.errorLog)}` : message;
    super(withLog, { hint: fields.hint, cause: fields.cause });
    this.errno = Math.abs(fields.errno);
    this.code = errnoName(this.errno);
    this.syscall = fields.syscall;
    this.errorLog = fields.errorLog;
  }
}

/** A failed system call, for {@link kernelError}. */
export interface FailedSyscall {
  /** The errno it failed with: `os.constants.errno.ENOENT`, or a caught error's `errno`. */
  readonly errno: number;
  /** The system call that failed. */
  readonly syscall: string;
  /** What perf-bridge was doing, and on what. */
  readonly message: string;
  /** What to do; by default the usual fix for the errno (root for EACCES, ...). */
  readonly hint?: string | undefined;
  /** The tracefs `error_log` lines the kernel wrote for this failure. */
  readonly errorLog?: string | undefined;
  /** The error the call raised, when there is one. */
  readonly cause?: unknown;
}

/** The {@link KernelError} for a system call that failed with `errno`: the one place that builds them. */
export function kernelError(failure: FailedSyscall): KernelError {
  const code = errnoName(failure.errno);
  return new KernelError(failure.message, {
    errno: failure.errno,
    syscall: failure.syscall,
    hint:
      failure.hint ??
      hintForErrno(code, failure.syscall) ??
      `${failure.syscall} failed with ${code}; the message above says which file or event it was about`,
    errorLog: failure.errorLog,
    cause: failure.cause,
  });
}

/**
 * The {@link KernelError} for `error`, an error a system call raised in the addon or in `fs`, about
 * `context` (what perf-bridge was doing). `extra.hint` replaces the hint for the errno.
 *
 * @throws `error` itself when it carries no errno: that is no failed system call but a bug, and
 *   must not be reported as the kernel's refusal.
 */
export function kernelErrorFrom(
  error: unknown,
  context: string,
  extra: { readonly errorLog?: string | undefined; readonly hint?: string | undefined } = {},
): KernelError {
  const failed = error as { errno?: unknown; syscall?: unknown; message?: unknown } | null | undefined;
  if (typeof failed?.errno !== 'number' || failed.errno === 0) throw error;
  const reason = typeof failed.message === 'string' ? failed.message : String(error);
  return kernelError({
    errno: failed.errno,
    syscall: typeof failed.syscall === 'string' ? failed.syscall : 'unknown',
    // fs messages quote the path, which may be a user's 4 KiB name.
    message: `${context}: ${cutInput(reason)}`,
    hint: extra.hint,
    errorLog: extra.errorLog,
    cause: error,
  });
}

/** Names of errnos libuv does not know (EDQUOT, ...), from Node's table of the platform's errnos. */
const ERRNO_NAMES = new Map(Object.entries(osConstants.errno).map(([name, errno]) => [errno, name]));

/** The name of `errno` as Node spells it in `code` (`ENOENT`), or `EUNKNOWN`. */
function errnoName(errno: number): string {
  const positive = Math.abs(errno);
  if (!Number.isSafeInteger(positive) || positive === 0) return 'EUNKNOWN';
  // libuv's names first: they are the `code` of Node's own errors (ENOTSUP, not EOPNOTSUPP, for 95).
  const name = getSystemErrorName(-positive);
  if (/^E[A-Z0-9]+$/.test(name)) return name;
  return ERRNO_NAMES.get(positive) ?? 'EUNKNOWN';
}

/** What an errno most likely means for perf-bridge users, and the fix. */
function hintForErrno(code: string, syscall: string): string | undefined {
  if (syscall === 'mmap' && (code === 'EPERM' || code === 'ENOMEM')) {
    return (
      'the ring buffers exceed the locked-memory limit for perf: use a smaller ringPages, ' +
      'or raise /proc/sys/kernel/perf_event_mlock_kb (or run as root)'
    );
  }
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return syscall === 'perf_event_open'
        ? 'perf events need privileges: run as root, or grant CAP_PERFMON (Linux 5.8+) or CAP_SYS_ADMIN, ' +
            'or lower /proc/sys/kernel/perf_event_paranoid (tracepoints need -1 without capabilities)'
        : 'tracefs needs root (or CAP_SYS_ADMIN); run as root or mount tracefs with gid= for your group';
    case 'ENOENT':
      return 'no such event: check the name against `perf-bridge list` or tracefs available_events';
    case 'EMFILE':
    case 'ENFILE':
      return (
        'out of file descriptors (one per event per CPU): raise the limit with `ulimit -n`, ' +
        'or trace fewer events or CPUs'
      );
    case 'ENOMEM':
      return 'the ring buffers could not be mapped: use fewer ringPages, or raise /proc/sys/kernel/perf_event_mlock_kb';
    case 'EINVAL':
      return (
        'the kernel rejected the event attributes: check that the event exists on this kernel ' +
        'and the options are supported'
      );
    case 'ENODEV':
    case 'ENOTSUP':
    case 'EOPNOTSUPP':
      return 'this kernel does not support the requested event type';
    case 'ESRCH':
      return 'the target process does not exist (any more)';
    case 'EBUSY':
      return 'the resource is in use by another tracer; try again after it finishes';
    default:
      return undefined;
  }
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}

/** Why an option of {@link OptionError} was refused. */
export type OptionErrorCode =
  /** A key that is not an option (a typo, usually: the message names the nearest option). */
  | 'UNKNOWN_OPTION'
  /** A value of the wrong type (a string for a boolean, a number for a list, ...). */
  | 'BAD_OPTION_TYPE'
  /** A value of the right type outside the allowed range or set. */
  | 'BAD_OPTION_VALUE'
  /** Options that do not go together (inherit without pid, ...). */
  | 'CONFLICTING_OPTIONS'
  /** Neither events nor probes. */
  | 'NOTHING_TO_CAPTURE';

/** Options that fail validation before anything reaches the kernel. */
export class OptionError extends PerfBridgeError {
  /** Why the option was refused. */
  readonly code: OptionErrorCode;
  /** The option, as written in the options object (`wakeup.bytes` for a nested one), when one is at fault. */
  readonly option: string | undefined;
  constructor(
    message: string,
    fields: { code?: OptionErrorCode | undefined; option?: string | undefined; hint: string; cause?: unknown },
  ) {
    super(message, { hint: fields.hint, cause: fields.cause });
    this.code = fields.code ?? 'BAD_OPTION_VALUE';
    this.option = fields.option;
  }
}

/**
 * Text that names no trace event: empty parts, path tricks (`..`, `/`), control characters, or the
 * names of tracefs control files (`sched:enable`, `header_page:x`). Nothing was read from tracefs.
 */
export class EventNameError extends PerfBridgeError {
  /** Always `NOT_AN_EVENT`. */
  readonly code = 'NOT_AN_EVENT';
  /** The text as given (not cut). */
  readonly event: unknown;
  constructor(message: string, fields: { event: unknown; hint: string }) {
    super(message, { hint: fields.hint });
    this.event = fields.event;
  }
}

/**
 * A probe name that is taken: by an event perf-bridge did not create (the kernel would append
 * our probe point to it instead of refusing), by another live perf-bridge process, or twice in
 * one session. Nothing was written to tracefs.
 */
export class ProbeConflictError extends PerfBridgeError {
  /** Always `EEXIST`, as the kernel would report for a name it refuses. */
  readonly code = 'EEXIST';
  /** The event, as `GROUP/EVENT`. */
  readonly probe: string;
  /** The pid of the perf-bridge process that owns it, when its registry says so. */
  readonly ownerPid: number | undefined;
  constructor(message: string, fields: { probe: string; ownerPid?: number | undefined; hint: string }) {
    super(message, { hint: fields.hint });
    this.probe = fields.probe;
    this.ownerPid = fields.ownerPid;
  }
}

/**
 * No tracefs to work with, and perf-bridge cannot mount one: `TRACEFS_NOT_MOUNTED` (none is mounted
 * and only root may mount it; nothing was tried) or `TRACEFS_MOUNT_FAILED` (mount(8) failed: its
 * message is quoted, its errno is not known).
 */
export class TracefsUnavailableError extends PerfBridgeError {
  /** `TRACEFS_NOT_MOUNTED` or `TRACEFS_MOUNT_FAILED`. */
  readonly code: 'TRACEFS_NOT_MOUNTED' | 'TRACEFS_MOUNT_FAILED';
  constructor(message: string, fields: { code: TracefsUnavailableError['code']; hint: string; cause?: unknown }) {
    super(message, { hint: fields.hint, cause: fields.cause });
    this.code = fields.code;
  }
}

/** The registry directory is missing, unsafe, or cannot be created. Nothing was written to tracefs. */
export class RegistryError extends PerfBridgeError {
  /** `UNSAFE_REGISTRY` (exists but others could write it) or `NO_REGISTRY` (cannot be created). */
  readonly code: 'UNSAFE_REGISTRY' | 'NO_REGISTRY';
  constructor(message: string, code: RegistryError['code'], hint: string, cause?: unknown) {
    super(message, { hint, cause });
    this.code = code;
  }
}

/** The probe lock could not be taken in time: another perf-bridge process holds it. */
export class ProbeLockTimeoutError extends PerfBridgeError {
  /** Always `ETIMEDOUT`. */
  readonly code = 'ETIMEDOUT';
}

/** How many characters of a user's input an error message quotes before cutting it. */
export const QUOTED_INPUT_LIMIT = 200;

/**
 * `text` cut for an error message: at most {@link QUOTED_INPUT_LIMIT} characters, then an
 * ellipsis and the original length, so that a 4 KiB path or definition cannot bury the message.
 */
export function cutInput(text: string, limit: number = QUOTED_INPUT_LIMIT): string {
  return text.length <= limit ? text : `${text.slice(0, limit)}… (${text.length} characters)`;
}

/**
 * `text` for an error message in double quotes, with control characters escaped (a newline in a
 * name must not break the message) and cut like {@link cutInput}, the length outside the quotes.
 */
export function quoteInput(text: string, limit: number = QUOTED_INPUT_LIMIT): string {
  if (text.length <= limit) return JSON.stringify(text);
  return `${JSON.stringify(`${text.slice(0, limit)}…`)} (${text.length} characters)`;
}
