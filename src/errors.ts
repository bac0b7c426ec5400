/** Errors perf-bridge raises, each naming what went wrong and what to do about it. */

/** Base class of every error perf-bridge throws on purpose. */
export class PerfBridgeError extends Error {
  /** What the user can do about it. */
  readonly hint?: string;
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(options.hint ? `${message}\n  hint: ${options.hint}` : message, { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
  }
}

/** A failed system call (or tracefs write), carrying errno, code and syscall like Node's own. */
export class KernelError extends PerfBridgeError {
  readonly errno: number;
  readonly code: string;
  readonly syscall: string;
  /** The tracefs `error_log` lines the kernel wrote for this failure, when there are any. */
  readonly errorLog?: string;
  constructor(
    message: string,
    fields: { errno: number; code: string; syscall: string; hint?: string; errorLog?: string; cause?: unknown },
  ) {
    const withLog = fields.errorLog ? `${message}\n  kernel error_log:\n${indent(fields.errorLog)}` : message;
    super(withLog, { hint: fields.hint, cause: fields.cause });
    this.errno = fields.errno;
    this.code = fields.code;
    this.syscall = fields.syscall;
    this.errorLog = fields.errorLog;
  }
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
  readonly option?: string;
  constructor(
    message: string,
    fields: { code?: OptionErrorCode; option?: string; hint?: string; cause?: unknown } = {},
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
  readonly ownerPid?: number;
  constructor(message: string, fields: { probe: string; ownerPid?: number; hint: string }) {
    super(message, { hint: fields.hint });
    this.probe = fields.probe;
    this.ownerPid = fields.ownerPid;
  }
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}

/** What a system-call error code most likely means for perf-bridge users, and the fix. */
export function hintForCode(code: string, syscall: string): string | undefined {
  if (syscall === 'mmap' && (code === 'EPERM' || code === 'ENOMEM')) {
    return 'the ring buffers exceed the locked-memory limit for perf: use a smaller ringPages, or raise /proc/sys/kernel/perf_event_mlock_kb (or run as root)';
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
      return 'out of file descriptors (one per event per CPU): raise the limit with `ulimit -n`, or trace fewer events or CPUs';
    case 'ENOMEM':
      return 'the ring buffers could not be mapped: use fewer ringPages, or raise /proc/sys/kernel/perf_event_mlock_kb';
    case 'EINVAL':
      return 'the kernel rejected the event attributes: check that the event exists on this kernel and the options are supported';
    case 'ENODEV':
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

/**
 * Wraps an error from the addon or from fs in a {@link KernelError}, with the hint for its code
 * unless `extra.hint` gives a better one, and the tracefs `error_log` lines when there are any.
 */
export function kernelErrorFrom(
  error: unknown,
  context: string,
  extra: { errorLog?: string; hint?: string } = {},
): KernelError {
  const e = error as { errno?: number; code?: string; syscall?: string; message?: string };
  const code = e.code ?? 'EUNKNOWN';
  const syscall = e.syscall ?? 'unknown';
  const errno = Math.abs(e.errno ?? 0);
  // fs messages quote the path, which may be a user's 4 KiB name.
  return new KernelError(`${context}: ${cutInput(e.message ?? String(error))}`, {
    errno,
    code,
    syscall,
    hint:
      extra.hint ??
      hintForCode(code, syscall) ??
      `${syscall} failed with ${code}; the message above says which file or event it was about`,
    errorLog: extra.errorLog,
    cause: error,
  });
}
