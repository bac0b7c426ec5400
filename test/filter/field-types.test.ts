/**
 * The filter type of every field of the 6.18 format fixtures (src/filter/field-types.ts), as the
 * kernel's filter_assign_type and select_comparison_fn see them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { filterFieldType, typeLabel } from '../../src/filter/field-types.js';
import { BASELINE_FILTER_GRAMMAR } from '../../src/filter/grammar.js';
import { fixtureFiles } from '../helpers/fixtures.js';
import { LINUX_6_18, fixtureFormat } from './cases.js';

/** `field=label` for each field of `event`'s format. */
function labels(event: string, grammar = LINUX_6_18): string[] {
  return fixtureFormat(event).fields.map((field) => `${field.name}=${typeLabel(filterFieldType(field, grammar))}`);
}

test('integers, bools and pointers compare as numbers of their size and signedness', () => {
  assert.deepEqual(labels('sched:sched_switch'), [
    'prev_comm=string',
    'prev_pid=s32',
    'prev_prio=s32',
    'prev_state=s64',
    'next_comm=string',
    'next_pid=s32',
    'next_prio=s32',
  ]);
  assert.deepEqual(labels('timer:hrtimer_start'), [
    'hrtimer=u64',
    'function=u64',
    'expires=s64',
    'softexpires=s64',
    'mode=u32',
    'was_armed=bool',
  ]);
  // Syscall arguments are unsigned longs whatever their C type; a char * one is a string pointer.
  assert.deepEqual(labels('syscalls:sys_enter_openat'), [
    '__syscall_nr=s32',
    'dfd=u64',
    'filename=char *',
    'flags=u64',
    'mode=u64',
  ]);
});

test('char arrays and __data_loc char[] are strings; other arrays cannot be compared', () => {
  assert.deepEqual(labels('sched:sched_process_exec'), ['filename=string', 'pid=s32', 'old_pid=s32']);
  assert.deepEqual(labels('raw_syscalls:sys_enter'), ['id=s64', 'args=not filterable']);
  assert.deepEqual(
    labels('dma:dma_map_sg').filter((l) => l.endsWith('not filterable')),
    ['phys_addrs=not filterable', 'dma_addrs=not filterable', 'lengths=not filterable'],
  );
  assert.ok(labels('tcp:tcp_probe').includes('saddr=not filterable'));
  assert.ok(labels('ftrace:print').includes('buf=string'), 'a flexible char[] is a string to the kernel');
});

test('a __data_loc cpumask_t compares with CPUS{…} from Linux 6.6, and not at all before', () => {
  assert.deepEqual(labels('ipi:ipi_send_cpumask'), ['cpumask=cpumask, use CPUS{…}', 'callsite=u64', 'callback=u64']);
  assert.equal(labels('ipi:ipi_send_cpumask', BASELINE_FILTER_GRAMMAR)[0], 'cpumask=not filterable');
});

test('every fixture field has a filter type, and the common fields are numbers', () => {
  for (const file of fixtureFiles('formats', 'linux-6.18').filter((f) => f.endsWith('.format'))) {
    const format = fixtureFormat(file.replace('_', ':').replace(/\.format$/, ''));
    for (const field of format.commonFields) {
      assert.equal(filterFieldType(field, LINUX_6_18).kind, 'number', `${file} ${field.name}`);
    }
    for (const field of format.fields) {
      const type = filterFieldType(field, LINUX_6_18);
      if (type.kind === 'none') assert.match(type.reason, /array|bytes|histogram/, `${file} ${field.name}`);
    }
  }
});
