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

/** Options that fail validation before anything reaches the kernel. */
export class OptionError extends PerfBridgeError {}

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

/** Wraps an error from the addon or from fs in a {@link KernelError} with a hint. */
export function kernelErrorFrom(error: unknown, context: string, errorLog?: string): KernelError {
  const e = error as { errno?: number; code?: string; syscall?: string; message?: string };
  const code = e.code ?? 'EUNKNOWN';
  const syscall = e.syscall ?? 'unknown';
  const errno = Math.abs(e.errno ?? 0);
  return new KernelError(`${context}: ${e.message ?? String(error)}`, {
    errno,
    code,
    syscall,
    hint: hintForCode(code, syscall),
    errorLog,
    cause: error,
  });
}
