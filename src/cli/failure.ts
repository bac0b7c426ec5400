/**
 * How the CLI reports a failure: its exit statuses, its own error classes, and the one line (plus
 * hint) it prints for an error.
 *
 * Exit statuses (the first CLI's, kept so that scripts can rely on them):
 * - 0: the trace ended normally — by --count, --duration, a signal when there is no command, or a
 *   reader that closed stdout (`| head`);
 * - with `-- COMMAND`: the command's status when it ended the trace or took a signal passed on
 *   to it (128 + the signal's number when the signal killed it), 0 when perf-bridge stopped it;
 *   126 / 127 when the command is not executable / not found, as in env(1) and the shells;
 * - 1: the trace ran but failed: its output could not be written, or capturing failed (also
 *   `list` or `format` output that cannot be written);
 * - 2: the trace could not start: a usage error, a bad option, event, probe or probe target, or
 *   the kernel refusing the set-up. An internal error (a bug) before the start also gives 2.
 */
import { PerfBridgeError } from '../errors.js';
import { OutputWriteError } from './output-failure.js';

/** The trace could not start. */
const EXIT_NOT_STARTED = 2;
/** The trace started and then failed. */
export const EXIT_TRACE_FAILED = 1;

/** A command line that the CLI cannot make sense of. */
export class UsageError extends PerfBridgeError {
  /** Always `USAGE`. */
  readonly code = 'USAGE';
  /** @param hint what to do instead; by default, where the usage is. */
  constructor(message: string, hint = 'run `perf-bridge help` for usage') {
    super(message, { hint });
  }
}

/** The command after `--` cannot be run; carries the status a shell would give (126 or 127). */
export class CommandNotRunnableError extends PerfBridgeError {
  /** 127: not found; 126: found but not executable. */
  readonly exitStatus: 126 | 127;
  /** `COMMAND_NOT_FOUND` (127) or `COMMAND_NOT_EXECUTABLE` (126). */
  readonly code: 'COMMAND_NOT_FOUND' | 'COMMAND_NOT_EXECUTABLE';
  constructor(message: string, fields: { exitStatus: 126 | 127; hint: string }) {
    super(message, { hint: fields.hint });
    this.exitStatus = fields.exitStatus;
    this.code = fields.exitStatus === 127 ? 'COMMAND_NOT_FOUND' : 'COMMAND_NOT_EXECUTABLE';
  }
}

/**
 * The text to print for `error`: perf-bridge's own errors (a user can cause every one of them) as
 * their message, which carries the hint; anything else is a bug, shown with its stack to report.
 */
export function describeFailure(error: unknown): string {
  if (error instanceof PerfBridgeError) return `perf-bridge: ${error.message}\n`;
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  const hint = 'this is a bug in perf-bridge; please report it with the lines above';
  return `perf-bridge: internal error: ${detail}\n  hint: ${hint}\n`;
}

/** The exit status for an error that ended the CLI (the trace reports its own failures). */
export function exitStatusFor(error: unknown): number {
  if (error instanceof CommandNotRunnableError) return error.exitStatus;
  return error instanceof OutputWriteError ? EXIT_TRACE_FAILED : EXIT_NOT_STARTED;
}
