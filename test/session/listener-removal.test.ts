/**
 * A listener that removes itself inside a drain: the pump stops draining as soon as nobody takes
 * batches, so what is still in the rings waits there for the next taker instead of being decoded
 * for no one (a loss nothing would count).
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';

import { BATCH_BYTES } from '../../src/session/pump.js';
import { openSession } from '../../src/session/session.js';
import { loadgen, parseLoadgenReport } from '../helpers/programs.js';
import { spawnGated } from '../helpers/processes.js';

const GETPPID = 'syscalls:sys_enter_getppid';
/** getppid() calls: several drain buffers' worth (a getppid sample record is under 64 bytes). */
const CALLS = 40_000;
/** The smallest getppid sample record: header, sample fields and the tracepoint's raw data. */
const MIN_GETPPID_RECORD = 48;
/** How long the first listener may take to be called: far beyond a healthy drain deadline. */
const FIRST_BATCH_DEADLINE_MS = 10_000;

/** A session of the generator's getppid calls; 16 MiB per CPU holds them all, so none is lost while nobody listens. */
function openGetppid(pid: number) {
  return openSession({ events: [GETPPID], pid, ringPages: 4096 });
}

/** Adds a listener of the chosen form that counts the events of each batch; returns its remover. */
type AddCounter = (session: ReturnType<typeof openGetppid>, onBatch: (events: number) => void) => () => void;

const forms: [string, AddCounter][] = [
  [
    'batch listener',
    (session, onBatch) =>
      session.onBatch((batch) => {
        onBatch(batch.length);
      }),
  ],
  [
    'column listener',
    (session, onBatch) =>
      session.onColumns((batch) => {
        onBatch(batch.length);
      }),
  ],
];

for (const [form, addCounter] of forms) {
  test(`a ${form} removing itself in its first batch leaves the rest in the rings for the next one`, async () => {
    const gated = spawnGated(loadgen(), ['getppid', String(CALLS)]);
    const session = openGetppid(gated.child.pid!);
    try {
      session.start();
      gated.open();
      const report = parseLoadgenReport(await gated.done);
      assert.equal(report.produced, CALLS);

      // Every record now waits in the rings: the first listener takes one buffer-full and leaves.
      let first = 0;
      let firstBatches = 0;
      const removeFirst = addCounter(session, (events) => {
        first += events;
        firstBatches++;
        removeFirst();
      });
      for (const start = Date.now(); firstBatches === 0 && Date.now() - start < FIRST_BATCH_DEADLINE_MS;) {
        await sleep(5);
      }
      assert.equal(firstBatches, 1, 'the first listener was called once, then removed');
      // At least three more buffer-fulls were waiting when it left.
      const perBuffer = Math.floor(BATCH_BYTES / MIN_GETPPID_RECORD);
      assert.ok(first > 0 && first <= perBuffer, `first batch of ${first} events`);
      assert.ok(CALLS - first >= 3 * perBuffer, `${CALLS - first} events left for the second listener`);

      let second = 0;
      addCounter(session, (events) => {
        second += events;
      });
      session.stop(); // delivers what is still in the rings
      const lost = session.stats().lost.total;
      assert.equal(first + second + lost, CALLS, `first ${first} + second ${second} + lost ${lost}`);
      assert.equal(lost, 0);
    } finally {
      session.close();
    }
  });
}
