/** The errors the CLI reports when its output cannot be opened (`-o FILE`) or written (other than a reader going away). */
import { constants as osConstants } from 'node:os';

import { KernelError, quoteInput } from '../errors.js';

function hintFor(code: string): string {
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return 'the file system or device behind the output is full: free space, or send the output elsewhere';
    case 'EFBIG':
      return 'the output file reached the file size limit (ulimit -f): raise it, or split the trace with --duration';
    case 'EIO':
      return 'the device behind the output failed (see dmesg): send the output to another file or a pipe';
    case 'EBADF':
      return 'stdout is closed or not open for writing: redirect it to a file or a pipe';
    default:
      return 'check where stdout goes, or redirect it to a file or a pipe';
  }
}

/** The output (stdout or the `-o` file) refused a write: `cannot write output: ENOSPC: no space left on device, write`. */
export class OutputWriteError extends KernelError {
  constructor(error: unknown) {
    const e = error as { errno?: number; code?: string; syscall?: string; message?: string };
    const code = e.code ?? 'EIO';
    const reason = e.message ?? String(error);
    super(`cannot write output: ${reason.startsWith(code) ? reason : `${code}: ${reason}`}`, {
      // A stream error without an errno (written after the stream broke) ends the output as EIO would.
      errno: e.errno ?? osConstants.errno.EIO,
      syscall: e.syscall ?? 'write',
      hint: hintFor(code),
      cause: error,
    });
  }
}

function openHintFor(code: string): string {
  switch (code) {
    case 'ENOENT':
      return 'the directory does not exist: create it, or give a path in an existing directory';
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return 'perf-bridge may not write there: choose a path you can write to';
    case 'EISDIR':
      return 'that is a directory: give a file name inside it';
    default:
      return 'give a path to a file that can be created or overwritten';
  }
}

/** `-o FILE` cannot be opened for writing: `cannot open output file "x/y": ENOENT: no such file or directory`. */
export class OutputFileError extends KernelError {
  constructor(path: string, error: unknown) {
    const e = error as { errno?: number; code?: string; message?: string };
    const code = e.code ?? 'EIO';
    // Node's message repeats the path after the reason: keep only the reason.
    const reason = (e.message ?? String(error)).replace(/, open .*$/s, '');
    super(`cannot open output file ${quoteInput(path)}: ${reason}`, {
      errno: e.errno ?? osConstants.errno.EIO,
      syscall: 'open',
      hint: openHintFor(code),
      cause: error,
    });
  }
}
