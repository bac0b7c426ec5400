/** stats() against the running kernel: how full the rings were, to the byte. */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { EventFormat } from '../../src/decode/format.js';
import { native } from '../../src/native.js';
import { openSession } from '../../src/session/session.js';
import { loadgen, parseLoadgenReport } from '../helpers/programs.js';
import { spawnGated } from '../helpers/processes.js';

const GETPPID = 'syscalls:sys_enter_getppid';

const align8 = (bytes: number) => Math.ceil(bytes / 8) * 8;

/**
 * The bytes of one sys_enter sample record as perf-bridge opens its events: the header, then
 * identifier, tid, time and cpu (8 bytes each), then the raw size (4 bytes) and the raw data padded
 * to a multiple of 8 bytes. The raw data is the kernel's struct syscall_trace_enter, whose last
 * member (the arguments, none for getppid) aligns it to 8 bytes past the fields the format lists.
 */
function syscallRecordBytes(format: EventFormat): number {
  const fieldsEnd = Math.max(...[...format.commonFields, ...format.fields].map((field) => field.offset + field.size));
  return 8 + 4 * 8 + align8(4 + align8(fieldsEnd));
}

test('ringFill: the bytes N records take over the ring size, read as the drain begins; 0 before any drain', async () => {
  const N = 2000;
  const ringPages = 64;
  const gated = spawnGated(loadgen(), ['getppid', String(N)]);
  const session = openSession({ events: [GETPPID], pid: gated.child.pid!, ringPages });
  try {
    // No taker yet: the drain deadline and readiness find nobody to deliver to, and leave the
    // records in the rings.
    session.start();
    gated.open();
    assert.equal(parseLoadgenReport(await gated.done).pid, gated.child.pid);
    const before = session.stats();
    assert.equal(before.ringFill.max, 0);
    assert.ok(Object.values(before.ringFill.perCpu).every((fill) => fill === 0));

    let delivered = 0;
    session.onBatch((batch) => (delivered += batch.length));
    session.drainNow();
    const { ringFill, lost } = session.stats();
    assert.equal(delivered, N);
    assert.equal(lost.total, 0);

    const ringBytes = ringPages * native().ringLayout.pageSize;
    const fills = Object.values(ringFill.perCpu);
    // Fractions of a power-of-two size: exact in floating point, so the bytes come back exact.
    const bytes = fills.reduce((sum, fill) => sum + fill * ringBytes, 0);
    assert.equal(bytes, N * syscallRecordBytes(session.formats.get(GETPPID)!));
    assert.equal(ringFill.max, Math.max(...fills));
    assert.ok(ringFill.max > 0 && ringFill.max < 1);
  } finally {
    session.close();
  }
});

test('ringFill after the rings were drained reads what the latest drain found: nothing', async () => {
  const N = 500;
  const gated = spawnGated(loadgen(), ['getppid', String(N)]);
  const session = openSession({ events: [GETPPID], pid: gated.child.pid! });
  try {
    let delivered = 0;
    session.onBatch((batch) => (delivered += batch.length));
    session.start();
    gated.open();
    await gated.done;
    session.drainNow();
    assert.equal(delivered, N);
    session.drainNow();
    assert.equal(session.stats().ringFill.max, 0);
  } finally {
    session.close();
  }
});
