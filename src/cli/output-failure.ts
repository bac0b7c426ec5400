/** The error the CLI reports when its output cannot be written (other than a reader going away). */
import { constants as osConstants } from 'node:os';

import { KernelError } from '../errors.js';

function hintFor(code: string): string {
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return 'the file system or device behind stdout is full: free space, or redirect the output elsewhere';
    case 'EFBIG':
      return 'the output file reached the file size limit (ulimit -f): raise it, or split the trace with --duration';
    case 'EIO':
      return 'the device behind stdout failed (see dmesg): redirect the output to another file or a pipe';
    case 'EBADF':
      return 'stdout is closed or not open for writing: redirect it to a file or a pipe';
    default:
      return 'check where stdout goes, or redirect it to a file or a pipe';
  }
}

/** stdout refused a write: `cannot write output: ENOSPC: no space left on device, write`. */
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
