/** Where `trace` writes its events: fd 1, or the file of `-o FILE`, in a way that never freezes the event loop. */
import { closeSync, fstatSync, openSync, writeSync } from 'node:fs';
import { Socket, type SocketConstructorOpts } from 'node:net';
import { type DuplexOptions, Writable } from 'node:stream';

import { OutputFileError } from './output-failure.js';

/**
 * Bytes queued for a pipe or socket before the capture pauses. A batch of getppid events is about
 * 1 MiB of JSON lines: with Node's 16 KiB default every batch would pause the draining of the rings
 * until its write completed; a few batches' worth lets writing and draining overlap.
 */
const OUTPUT_HIGH_WATER_MARK = 4 << 20;

/** The stream the events go to, and whether a person is reading it. */
export interface EventOutput {
  stream: Writable;
  /** True when the events go to a terminal: the default format is then text. */
  isTerminal: boolean;
  /** True when the events go to fd 1 (not to an `-o` file). */
  isStdout: boolean;
}

/**
 * A stream writing to a file or a device such as /dev/null with write(2) at once, on the main
 * thread. An fs stream would hand every chunk to the thread pool and pause the capture until the
 * pool had written it: at a 2 M events/s flood those round trips, not the writing, lost half the
 * events. A write to a file returns as soon as the page cache has the bytes, as perf record's do.
 * Errors (ENOSPC, /dev/full) still arrive as 'error' events and in the write callbacks.
 */
class FileWriter extends Writable {
  constructor(
    private readonly fd: number,
    private readonly closeAtEnd: boolean,
  ) {
    super({ decodeStrings: true });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    try {
      for (let written = 0; written < chunk.length;) written += writeSync(this.fd, chunk, written);
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  override _final(done: (error?: Error | null) => void): void {
    if (this.closeAtEnd) closeSync(this.fd);
    done();
  }
}

/**
 * A stream on fd 1. process.stdout writes to pipes synchronously on Linux, so a reader that stops
 * reading would block the whole process (no draining, no Ctrl-C). A pipe or socket therefore gets
 * its own non-blocking handle, with backpressure through 'drain' and nothing left to wait for at
 * exit; a terminal keeps process.stdout; anything else (a file, /dev/null, /dev/full) gets a
 * {@link FileWriter}, whose write errors arrive as 'error' events with their code.
 */
function openStdout(): EventOutput {
  const stat = fstatSync(1);
  const isTerminal = process.stdout.isTTY;
  let stream: Writable;
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
    stream = new FileWriter(1, false);
  }
  return { stream, isTerminal, isStdout: true };
}

/**
 * `path` created or truncated, as a {@link FileWriter} (write errors arrive as 'error' events with their code).
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
    stream: new FileWriter(fd, true),
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
