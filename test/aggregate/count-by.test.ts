/**
 * countBy(): ordering, top, keys of some events only, composed keys and errors on hand-built
 * batches; on the real kernel, the execs of a shell running /bin/true five times.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { AggregationError, countBy } from '../../src/aggregate/index.js';
import { openSession } from '../../src/session/session.js';
import { batchOf, eventColumns, formatOf, formatsOf, stringColumn } from './columns.js';

const OPEN = formatOf('open', ['__data_loc char[] filename:4', 'int flags:4', 'u64 size:8']);
const READ = formatOf('read', ['unsigned int fd:4']);
const FORMATS = formatsOf(OPEN, READ);

/** The table's rows below the header, as arrays of cells. */
function cells(text: string): string[][] {
  return text
    .trimEnd()
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s{2,}/));
}

test('rows by count, most first; ties ordered by key, numbers by value', () => {
  const counter = countBy(['pid'], FORMATS);
  const pids = [10, 9, 10, 100, 9, 7, 7, 7];
  counter.add(batchOf({ read: eventColumns(pids.map((pid) => ({ pid }))) }));
  const text = counter.render();
  assert.deepEqual(cells(text), [
    ['7', '3'],
    ['9', '2'],
    ['10', '2'],
    ['100', '1'],
  ]);
  assert.match(text, /^\s*pid {2}COUNT\n/, 'a header names the key and COUNT');
  assert.match(text, /^ {2}7 {6}3$/m, 'numbers right-aligned under their header');
});

test('top N shows the N most frequent and says how many more there were', () => {
  const counter = countBy(['comm'], FORMATS, { top: 2 });
  const comms = ['a', 'b', 'b', 'c', 'c', 'c', 'd', 'e'];
  counter.add(batchOf({ read: eventColumns(comms.map((comm) => ({ comm }))) }));
  const text = counter.render();
  assert.deepEqual(cells(text).slice(0, 2), [
    ['c', '3'],
    ['b', '2'],
  ]);
  assert.match(text, /^… 3 more keys \(3 events\) not shown$/m);
  assert.throws(() => countBy(['comm'], FORMATS, { top: 0 }), /top must be a positive integer/);
});

test('a field of some events only: rows of the others count under -', () => {
  for (const key of ['flags', 'filename', 'size']) {
    const counter = countBy([key], FORMATS);
    counter.add(
      batchOf({
        open: eventColumns([{}, {}, {}], {
          filename: stringColumn(['/a', '/b', '/a']),
          flags: Int32Array.from([-1, 2, -1]),
          size: BigUint64Array.from([1n << 60n, 5n, 1n << 60n]),
        }),
        read: eventColumns([{}, {}, {}, {}], { fd: Uint32Array.from([0, 1, 2, 3]) }),
      }),
    );
    const expected = { flags: ['-1', '2'], filename: ['/a', '/b'], size: [String(1n << 60n), '5'] }[key]!;
    assert.deepEqual(
      cells(counter.render()),
      [
        ['-', '4'],
        [expected[0]!, '2'],
        [expected[1]!, '1'],
      ],
      key,
    );
  }
});

test('composed keys: event, comm and a field, each tuple counted', () => {
  const counter = countBy(['event', 'comm', 'fd'], FORMATS);
  const batch = batchOf({
    open: eventColumns([{ comm: 'sh' }, { comm: 'sh' }], {
      filename: stringColumn(['/x', '/y']),
      flags: Int32Array.from([0, 0]),
      size: BigUint64Array.from([0n, 0n]),
    }),
    read: eventColumns([{ comm: 'sh' }, { comm: 'cat' }, { comm: 'cat' }], { fd: Uint32Array.from([3, 3, 3]) }),
  });
  counter.add(batch);
  counter.add(batch);
  const text = counter.render();
  assert.deepEqual(cells(text), [
    ['open', 'sh', '-', '4'],
    ['read', 'cat', '3', '4'],
    ['read', 'sh', '3', '2'],
  ]);
  assert.match(text, /^event {2}comm {2}fd {2}COUNT$/m);
  counter.reset();
  assert.equal(counter.render(), 'event  comm  fd  COUNT\n(no events)\n');
});

test('event alone counts whole columns; counts survive the reuse of column memory', () => {
  const counter = countBy(['event'], FORMATS);
  const filenames = stringColumn(['/etc/passwd']);
  counter.add(batchOf({ open: eventColumns([{}], { filename: filenames }), read: eventColumns([{}, {}]) }));
  filenames.data.fill(0x41);
  assert.deepEqual(cells(counter.render()), [
    ['read', '2'],
    ['open', '1'],
  ]);
  const byName = countBy(['filename'], FORMATS);
  const reused = stringColumn(['/etc/passwd']);
  byName.add(batchOf({ open: eventColumns([{}], { filename: reused }) }));
  reused.data.fill(0x41);
  assert.deepEqual(cells(byName.render()), [['/etc/passwd', '1']]);
});

test('an unknown key is refused with the nearest valid one', () => {
  assert.throws(
    () => countBy(['comn'], FORMATS),
    (error: unknown) =>
      error instanceof AggregationError &&
      error.subject === 'comn' &&
      error.message.includes("unknown key 'comn'") &&
      error.hint.includes("did you mean 'comm'?") &&
      error.hint.includes('fields: fd, filename, flags, size'),
  );
  assert.throws(() => countBy(['filenme'], FORMATS), /did you mean 'filename'\?/);
  assert.throws(() => countBy([], FORMATS), { code: 'BAD_AGGREGATION', message: /no keys given/ });
});

test('countBy comm on a shell running /bin/true five times: true counts 5', async () => {
  const script = Array.from({ length: 5 }, () => '/bin/true').join('; ');
  const session = openSession({ events: ['sched:sched_process_exec'], command: ['sh', '-c', script] });
  const counter = countBy(['comm'], session.formats);
  session.onColumns((batch) => {
    counter.add(batch);
  });
  session.start();
  assert.equal((await session.command!.exited).code, 0);
  session.stop();
  const lost = session.stats().lost.total;
  session.close();
  assert.equal(lost, 0);
  const rows = cells(counter.render());
  assert.deepEqual(rows[0], ['true', '5'], counter.render());
  // The shell's own exec may be traced too (it is the command's first exec); nothing else is.
  assert.ok(
    rows.slice(1).every(([comm, count]) => comm === 'sh' && count === '1'),
    counter.render(),
  );
});
