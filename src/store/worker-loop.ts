/**
 * The worker side of rows-protocol.ts: lowers the thread's priority, opens what the worker writes
 * to, then takes the messages in order, each after the previous one settled, and reports a
 * failure once (after which messages are ignored).
 */
import { parentPort } from 'node:worker_threads';

import { PerfBridgeError } from '../errors.js';
import { lowerThreadPriority } from '../process/background-thread.js';
import type { PackedRows } from './packed-batch.js';
import type { FromRowsWorker, RunCounts, ToRowsWorker } from './rows-protocol.js';

/** What a rows worker does with the messages. */
export interface RowsTaker {
  /** This run's id to report as ready (0: none). */
  readonly run: number;
  /** Takes one PackedRows; posts its `done` (now or later) through `post`. */
  take(packed: PackedRows): void | Promise<void>;
  /** Ends the run: completes and closes what the worker writes to. */
  end(counts: RunCounts): Promise<void>;
}

const port = parentPort!;

/** Posts a message to the capture's thread. */
export function post(message: FromRowsWorker): void {
  port.postMessage(message);
}

/** What a failure tells the capture's thread; `what` names the worker's job in the message. */
function failure(error: unknown, what: string): FromRowsWorker {
  if (error instanceof PerfBridgeError) {
    return { kind: 'failed', message: error.message.split('\n  hint: ')[0]!, code: error.code, hint: error.hint };
  }
  const message = `${what} failed: ${error instanceof Error ? error.message : String(error)}`;
  return { kind: 'failed', message, code: 'WORKER_FAILED', hint: 'the rows taken before the failure are kept' };
}

/** Runs a rows worker around the taker `open` returns; `what` names its job in failures. */
export async function runRowsWorker(open: () => Promise<RowsTaker>, what: string): Promise<void> {
  lowerThreadPriority();
  let taker: RowsTaker | undefined;
  let failed = false;
  const pending: ToRowsWorker[] = [];
  let queue = Promise.resolve();
  const handle = async (message: ToRowsWorker) => {
    if (failed || taker === undefined) return;
    if (message.kind === 'rows') {
      await taker.take(message);
    } else {
      await taker.end(message);
      post({ kind: 'closed' });
      port.close();
    }
  };
  const take = (message: ToRowsWorker) => {
    queue = queue
      .then(() => handle(message))
      .catch((error: unknown) => {
        failed = true;
        post(failure(error, what));
      });
  };
  port.on('message', (message: ToRowsWorker) => {
    if (taker === undefined) pending.push(message);
    else take(message);
  });
  try {
    taker = await open();
  } catch (error) {
    post(failure(error, what));
    port.close();
    return;
  }
  post({ kind: 'ready', run: taker.run });
  for (const message of pending.splice(0)) take(message);
}
