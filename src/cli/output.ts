/** Where `trace` writes its JSON lines: fd 1, in a way that never freezes the event loop. */
import { createWriteStream, fstatSync } from 'node:fs';
import { Socket } from 'node:net';

/**
 * A stream on fd 1. process.stdout writes to pipes synchronously on Linux, so a reader that stops
 * reading would block the whole process (no draining, no Ctrl-C). A pipe or socket therefore gets
 * its own non-blocking handle, with backpressure through 'drain' and nothing left to wait for at
 * exit; a file gets an fs stream (disk writes finish); a terminal keeps process.stdout.
 */
export function openOutput(): NodeJS.WritableStream {
  const stat = fstatSync(1);
  if (stat.isFIFO() || stat.isSocket()) return new Socket({ fd: 1, readable: false, writable: true });
  if (stat.isFile()) return createWriteStream('', { fd: 1, autoClose: false });
  return process.stdout;
}
