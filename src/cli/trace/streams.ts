/** Waiting on the output stream: for room to write, and for what was written to be flushed. */

/** Resolves when `out` can take more, can take nothing ever again (error, close), or `stopped` settles. */
export function writable(out: NodeJS.WritableStream, stopped: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('error', done);
      out.off('close', done);
      resolve();
    };
    out.on('drain', done);
    out.on('error', done);
    out.on('close', done);
    void stopped.then(done);
  });
}

/** Ends `out` and resolves once what was queued is written, or the stream failed or closed. */
export function flushed(out: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    out.once('error', () => {
      resolve();
    });
    out.once('close', () => {
      resolve();
    });
    out.end(() => {
      resolve();
    });
  });
}
