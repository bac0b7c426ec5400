/**
 * A separate perf-bridge process for tests that need several probe owners at once. It reads one
 * JSON command per line on stdin and answers each with one JSON line on stdout; see probe-owner.ts,
 * which starts it and speaks this protocol. When stdin ends (the test is gone) it exits, so its
 * exit handler removes its probes — unless it was parked.
 */
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';

import { openSession, type Session } from '../../src/index.js';
import { type OwnerCommand, RING_PAGES, describeError } from './owner-protocol.js';

/** Barrier poll interval: short, so two racers leave the barrier within a fraction of a millisecond. */
const BARRIER_POLL_MS = 0.2;
const BARRIER_LIMIT_MS = 60_000;

let session: Session | undefined;
let isParked = false;
/** Events delivered per label and pid since the last drain. */
let counts: Record<string, Record<number, number>> = {};

function reply(message: object): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

/** Spins until the barrier file exists: blocking, so no event-loop turn delays the start. */
function waitForBarrier(path: string): void {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + BARRIER_LIMIT_MS;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`barrier ${path} did not appear within ${BARRIER_LIMIT_MS} ms`);
    Atomics.wait(cell, 0, 0, BARRIER_POLL_MS);
  }
}

/**
 * Opens the session. At a barrier, the answer also gives the CLOCK_MONOTONIC nanoseconds (the same
 * clock in every process) when openSession began and returned, so a test can see that two racers
 * really were inside it at the same time.
 */
function open(probes: Record<string, string>, barrier: string | undefined): object {
  if (session) throw new Error('a session is already open in this owner');
  if (barrier !== undefined) {
    reply({ armed: true });
    waitForBarrier(barrier);
  }
  const began = process.hrtime.bigint();
  let outcome: object = { ok: true };
  try {
    session = openSession({ probes, ringPages: RING_PAGES });
  } catch (error) {
    outcome = { ok: false, error: describeError(error) };
  }
  const returned = process.hrtime.bigint();
  if (barrier !== undefined) outcome = { ...outcome, window: [String(began), String(returned)] };
  if (!session) return outcome;
  counts = {};
  session.onBatch((batch) => {
    for (const event of batch) {
      const byPid = (counts[event.event] ??= {});
      byPid[event.pid] = (byPid[event.pid] ?? 0) + 1;
    }
  });
  return outcome;
}

/**
 * Stops answering and stays alive with its session open until the machine goes down. For a state
 * the kernel cannot leave safely: when two owners share one event, whichever closes last makes
 * 6.12 dereference NULL in uprobe_apply while holding event_mutex (issue 8).
 */
function park(lines: ReturnType<typeof createInterface>): void {
  isParked = true;
  lines.close();
  process.stdin.destroy();
  // With the test gone, a write would fail; an unhandled error would end the process (and close the session).
  const ignoreWriteError = () => {
    // Nobody reads any more.
  };
  process.stdout.on('error', ignoreWriteError);
  process.stderr.on('error', ignoreWriteError);
  // A pending timer keeps the process (and so its session) alive with nothing else left to do.
  setInterval(() => {
    // Only here to keep the event loop alive.
  }, 1 << 30);
}

function handle(command: OwnerCommand, lines: ReturnType<typeof createInterface>): void {
  switch (command.op) {
    case 'open':
      reply(open(command.probes, command.barrier));
      return;
    case 'start':
      session!.start();
      reply({ ok: true });
      return;
    case 'drain': {
      session!.stop(); // delivers everything still in the rings before returning
      reply({ ok: true, counts });
      counts = {};
      return;
    }
    case 'close':
      try {
        session?.close();
        session = undefined;
        reply({ ok: true });
      } catch (error) {
        reply({ ok: false, error: describeError(error) });
      }
      return;
    case 'park':
      reply({ ok: true });
      park(lines);
      return;
  }
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  try {
    handle(JSON.parse(line) as OwnerCommand, lines);
  } catch (error) {
    reply({ ok: false, error: describeError(error) });
  }
});
lines.on('close', () => {
  if (!isParked) process.exit(0);
});

reply({ ready: true, pid: process.pid });
