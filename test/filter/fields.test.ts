/** Field lookup (src/filter/fields.ts) in the kernel's order, and the names hints suggest. */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { nearestFieldNames, resolveField, usableFieldNames } from '../../src/filter/fields.js';
import { BASELINE_FILTER_GRAMMAR } from '../../src/filter/grammar.js';
import { LINUX_6_18, fixtureFormat } from './cases.js';

test("an event's own field shadows the special one, which comes before the common ones", () => {
  const work = fixtureFormat('workqueue:workqueue_queue_work');
  assert.equal(resolveField('cpu', work, LINUX_6_18)?.source, 'event');
  assert.equal(resolveField('CPU', work, LINUX_6_18)?.type.kind, 'cpu');
  assert.equal(resolveField('common_pid', work, LINUX_6_18)?.source, 'common');
  const signal = fixtureFormat('signal:signal_generate');
  assert.deepEqual(resolveField('comm', signal, LINUX_6_18)?.type, { kind: 'string', storage: 'static' });
  assert.deepEqual(resolveField('COMM', signal, LINUX_6_18)?.type, { kind: 'string', storage: 'comm' });
});

test('special fields the kernel lacks are not found; histogram fields are found as unfilterable', () => {
  const sw = fixtureFormat('sched:sched_switch');
  assert.equal(resolveField('common_comm', sw, LINUX_6_18), undefined);
  assert.equal(
    resolveField('common_cpu', sw, { ...BASELINE_FILTER_GRAMMAR, specialFields: new Set(['CPU']) }),
    undefined,
  );
  assert.equal(resolveField('stacktrace', sw, LINUX_6_18)?.type.kind, 'none');
  assert.equal(resolveField('nope', sw, LINUX_6_18), undefined);
});

test('usable names in lookup order, without shadowed special fields', () => {
  assert.deepEqual(usableFieldNames(fixtureFormat('workqueue:workqueue_queue_work'), LINUX_6_18), [
    'work',
    'function',
    'workqueue',
    'req_cpu',
    'cpu',
    'CPU',
    'common_cpu',
    'COMM',
    'comm',
    'common_type',
    'common_flags',
    'common_preempt_count',
    'common_pid',
  ]);
});

test('suggestions: typos, missing letters and partial names', () => {
  const openat = fixtureFormat('syscalls:sys_enter_openat');
  assert.deepEqual(nearestFieldNames('fname', openat, LINUX_6_18), ['filename']);
  assert.deepEqual(nearestFieldNames('filenme', openat, LINUX_6_18), ['filename']);
  assert.deepEqual(nearestFieldNames('Flags', openat, LINUX_6_18), ['flags', 'common_flags']);
  assert.equal(nearestFieldNames('common_cpus', openat, LINUX_6_18)[0], 'common_cpu');
  assert.deepEqual(nearestFieldNames('zzzzzz', openat, LINUX_6_18), []);
});
