import assert from 'node:assert/strict';
import { test } from 'node:test';

import { KernelError, PerfBridgeError } from '../../src/errors.js';
import { listEvents, parseEventName, readEventFormat, readEventId } from '../../src/tracefs/events.js';

test('event names split into group and name; anything path-like is refused', () => {
  assert.deepEqual(parseEventName('sched:sched_switch'), { group: 'sched', name: 'sched_switch' });
  assert.deepEqual(parseEventName('sched/sched_switch'), { group: 'sched', name: 'sched_switch' });
  for (const bad of ['sched', ':x', 'a:b:c', '..:x', 'a:..', 'a b:c', 'a:b\n', '']) {
    assert.throws(() => parseEventName(bad), PerfBridgeError, JSON.stringify(bad));
  }
});

test('events are listed and read from tracefs', () => {
  const events = listEvents();
  assert.ok(events.includes('sched:sched_process_exec'));
  assert.ok(events.includes('syscalls:sys_enter_getppid'));
  assert.deepEqual(events, [...events].sort());
  const id = readEventId({ group: 'sched', name: 'sched_process_exec' });
  assert.ok(Number.isInteger(id) && id > 0);
  assert.match(readEventFormat({ group: 'sched', name: 'sched_process_exec' }), new RegExp(`^name: sched_process_exec\\nID: ${id}\\n`));
});

test('a missing event is a KernelError with ENOENT and a hint', () => {
  assert.throws(() => readEventId({ group: 'sched', name: 'no_such_event' }), (error: unknown) => {
    assert.ok(error instanceof KernelError);
    assert.equal(error.code, 'ENOENT');
    assert.match(error.message, /no trace event sched:no_such_event on this kernel/);
    return true;
  });
});
