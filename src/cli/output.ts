/** Where `trace` writes its JSON lines: fd 1, in a way that never freezes the event loop. */
import { createWriteStream, fstatSync } from 'node:fs';
import { Socket } from 'node:net';

/**
 * A stream on fd 1. process.stdout writes to pipes synchronously on Linux, so a reader that stops
 * reading would block the whole process (no draining, no Ctrl-C). A pipe or socket therefore gets
 * its own non-blocking handle, with backpressure through 'drain' and nothing left to wait for at
 * exit; a terminal keeps process.stdout; anything else (a file, /dev/null, /dev/full) gets an fs
 * stream, whose write errors arrive as 'error' events with their code.
 */
export function openOutput(): NodeJS.WritableStream {
  const stat = fstatSync(1);
  if (stat.isFIFO() || stat.isSocket()) return new Socket({ fd: 1, readable: false, writable: true });
  if (process.stdout.isTTY) return process.stdout;
  return createWriteStream('', { fd: 1, autoClose: false });
}

/**
 * True when a write error only means that the reader went away (`| head` closed the pipe, or the
 * socket's peer reset it): the trace then ends quietly. Any other error is a real failure.
 */
export function isReaderGone(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code;
  return code === 'EPIPE' || code === 'ECONNRESET';
}
