import assert from 'node:assert/strict';
import { test } from 'node:test';

import { EventNameError, KernelError, PerfBridgeError } from '../../src/errors.js';
import { listEvents, parseEventName, readEventFormat, readEventId } from '../../src/tracefs/events.js';

test('event names split into group and name; anything path-like is refused', () => {
  assert.deepEqual(parseEventName('sched:sched_switch'), { group: 'sched', name: 'sched_switch' });
  assert.deepEqual(parseEventName('sched/sched_switch'), { group: 'sched', name: 'sched_switch' });
  const notEvents = ['sched', ':x', 'a:b:c', '..:x', 'a:..', 'a b:c', 'a:b\n', ''];
  notEvents.push('.:sched', 'sched:enable', 'header_page:x');
  for (const bad of notEvents) {
    assert.throws(
      () => parseEventName(bad),
      (error: unknown) => {
        assert.ok(error instanceof EventNameError && error instanceof PerfBridgeError, JSON.stringify(bad));
        assert.equal(error.code, 'NOT_AN_EVENT');
        assert.ok(error.hint, 'every refusal says what to do');
        return true;
      },
    );
  }
});

test('events are listed and read from tracefs', () => {
  const events = listEvents();
  assert.ok(events.includes('sched:sched_process_exec'));
  assert.ok(events.includes('syscalls:sys_enter_getppid'));
  assert.deepEqual(events, [...events].sort());
  const id = readEventId({ group: 'sched', name: 'sched_process_exec' });
  assert.ok(Number.isInteger(id) && id > 0);
  assert.match(
    readEventFormat({ group: 'sched', name: 'sched_process_exec' }),
    new RegExp(`^name: sched_process_exec\\nID: ${id}\\n`),
  );
});

test('a missing event is a KernelError with ENOENT and a hint', () => {
  assert.throws(
    () => readEventId({ group: 'sched', name: 'no_such_event' }),
    (error: unknown) => {
      assert.ok(error instanceof KernelError);
      assert.equal(error.code, 'ENOENT');
      assert.match(error.message, /no trace event sched:no_such_event on this kernel/);
      return true;
    },
  );
});
