/**
 * Closing what is still open when the process exits. Objects are held weakly so that an
 * unclosed session can still be garbage-collected (its native part then closes itself).
 */

/** Anything with an idempotent, synchronous close. */
export interface Closable {
  close(): void;
}

const open = new Set<WeakRef<Closable>>();
let installed = false;

function closeAll(): void {
  for (const ref of open) {
    try {
      ref.deref()?.close();
    } catch {
      // Exit must go on; close() of our own objects reports nothing more useful here.
    }
  }
  open.clear();
}

/** Registers an object to close at process exit; returns the function that unregisters it. */
export function closeAtExit(target: Closable): () => void {
  if (!installed) {
    installed = true;
    process.on('exit', closeAll);
  }
  const ref = new WeakRef(target);
  open.add(ref);
  return () => {
    open.delete(ref);
  };
}
