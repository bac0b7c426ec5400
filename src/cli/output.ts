/** Where `trace` writes its events: fd 1, or the file of `-o FILE`, in a way that never freezes the event loop. */
import { createWriteStream, fstatSync, openSync } from 'node:fs';
import { Socket, type SocketConstructorOpts } from 'node:net';
import type { DuplexOptions } from 'node:stream';

import { OutputFileError } from './output-failure.js';

/**
 * Bytes queued for the output before the capture pauses. A batch of getppid events is about 1 MiB
 * of JSON lines: with Node's 16 KiB default every batch would pause the draining of the rings until
 * its write completed; a few batches' worth lets writing and draining overlap.
 */
const OUTPUT_HIGH_WATER_MARK = 4 << 20;

/** The stream the events go to, and whether a person is reading it. */
export interface EventOutput {
  stream: NodeJS.WritableStream;
  /** True when the events go to a terminal: the default format is then text. */
  isTerminal: boolean;
  /** True when the events go to fd 1 (not to an `-o` file). */
  isStdout: boolean;
}

/**
 * A stream on fd 1. process.stdout writes to pipes synchronously on Linux, so a reader that stops
 * reading would block the whole process (no draining, no Ctrl-C). A pipe or socket therefore gets
 * its own non-blocking handle, with backpressure through 'drain' and nothing left to wait for at
 * exit; a terminal keeps process.stdout; anything else (a file, /dev/null, /dev/full) gets an fs
 * stream, whose write errors arrive as 'error' events with their code.
 */
function openStdout(): EventOutput {
  const stat = fstatSync(1);
  const isTerminal = process.stdout.isTTY;
  let stream: NodeJS.WritableStream;
  if (stat.isFIFO() || stat.isSocket()) {
    // net.Socket hands its options to stream.Duplex, which takes the mark; its typings omit it.
    const options: SocketConstructorOpts & DuplexOptions = {
      fd: 1,
      readable: false,
      writable: true,
      writableHighWaterMark: OUTPUT_HIGH_WATER_MARK,
    };
    stream = new Socket(options);
  } else if (isTerminal) {
    stream = process.stdout;
  } else {
    stream = createWriteStream('', { fd: 1, autoClose: false, highWaterMark: OUTPUT_HIGH_WATER_MARK });
  }
  return { stream, isTerminal, isStdout: true };
}

/**
 * `path` created or truncated, as a stream (write errors arrive as 'error' events with their code).
 *
 * @throws {@link OutputFileError} naming the file and the reason when it cannot be opened.
 */
function openFile(path: string): EventOutput {
  let fd: number;
  try {
    fd = openSync(path, 'w', 0o666);
  } catch (error) {
    throw new OutputFileError(path, error);
  }
  return {
    stream: createWriteStream('', { fd, highWaterMark: OUTPUT_HIGH_WATER_MARK }),
    isTerminal: false,
    isStdout: false,
  };
}

/** The output of the events: `file` when given (`-o FILE`), else stdout. */
export function openOutput(file?: string): EventOutput {
  return file === undefined ? openStdout() : openFile(file);
}

/**
 * True when a write error only means that the reader went away (`| head` closed the pipe, or the
 * socket's peer reset it): the trace then ends quietly. Any other error is a real failure.
 */
export function isReaderGone(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code;
  return code === 'EPIPE' || code === 'ECONNRESET';
}
