/**
 * The session's batches in columnar form, with a pause for when the output is full. A session with
 * a column listener drains its rings whatever the listener does with the batches; one with no
 * taker leaves the records in the rings, where the kernel counts what does not fit as lost. So the
 * feed pauses by removing its listener, and resumes by adding it again.
 */
import type { ColumnBatch } from '../../decode/columns.js';
import type { Session } from '../../session/session.js';

/** A column listener on a session that can be paused and resumed. */
export class ColumnFeed {
  private remove: (() => void) | undefined;
  /** After end(): the session is closed, and takes no listener any more. */
  private ended = false;

  /**
   * Subscribes `listener` to `session`'s column batches. `onError` gets what the listener throws
   * (the session would rethrow it as an uncaught exception).
   */
  constructor(
    private readonly session: Session,
    private readonly listener: (batch: ColumnBatch) => void,
    private readonly onError: (error: unknown) => void,
  ) {
    this.resume();
  }

  private readonly deliver = (batch: ColumnBatch) => {
    try {
      this.listener(batch);
    } catch (error) {
      this.onError(error);
    }
  };

  /**
   * Stops taking batches at once: the session's drain stops when it has no taker left, and the
   * records wait in the rings.
   */
  pause(): void {
    this.remove?.();
    this.remove = undefined;
  }

  /** Takes batches again (the session's drain deadline drains the rings within milliseconds). */
  resume(): void {
    if (this.ended) return;
    this.remove ??= this.session.onColumns(this.deliver);
  }

  /** Called once the session is closed: later resume() calls do nothing. */
  end(): void {
    this.ended = true;
  }
}
