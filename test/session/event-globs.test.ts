/** Event globs in `events`: expanded from tracefs, filters applied to every match, overlaps refused. */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';

import { openSession } from '../../src/session/session.js';
import { tracefsRoot } from '../../src/tracefs/mount.js';

/** The sched events whose names start with `prefix`, straight from tracefs. */
function schedEvents(prefix: string): string[] {
  return readdirSync(`${tracefsRoot()}/events/sched`)
    .filter((name) => name.startsWith(prefix))
    .map((name) => `sched:${name}`)
    .sort();
}

test('a glob opens every matching event', () => {
  const session = openSession({ events: ['sched:sched_process_*'] });
  try {
    const expected = schedEvents('sched_process_');
    assert.ok(expected.length >= 4, 'fork, exec, exit, free at least');
    assert.deepEqual([...session.formats.keys()].sort(), expected);
  } finally {
    session.close();
  }
});

test("a glob's filter applies to each match, checked against each one's format", () => {
  const session = openSession({ events: [{ event: 'sched:sched_process_e*', filter: 'pid > 1' }] });
  session.close();
  assert.throws(() => openSession({ events: [{ event: 'sched:sched_process_*', filter: 'filename ~ "/bin/*"' }] }), {
    code: 'BAD_FILTER',
    // sched_process_exec has a filename, sched_process_exit does not: the error names the event.
    message: /sched_process_(?!exec)/,
  });
});

test('an event listed twice, once through a glob, is refused', () => {
  assert.throws(() => openSession({ events: ['sched:sched_process_exec', 'sched:sched_process_e*'] }), {
    code: 'BAD_OPTION_VALUE',
    option: 'events',
  });
});
