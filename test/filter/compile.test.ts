/**
 * compileFilter (src/filter/compile.ts) on real format files: good filters come back canonical and
 * stable, bad ones raise a FilterError whose caret points at the offending token and whose hint
 * says what to do and lists the fields. The host kernel's own formats are checked too.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';

import { parseFormat } from '../../src/decode/format.js';
import { PerfBridgeError } from '../../src/errors.js';
import { filterShape } from '../../src/filter/ast.js';
import { FILTER_MAX_BYTES, compileFilter } from '../../src/filter/compile.js';
import { FilterError } from '../../src/filter/errors.js';
import { parseFilter } from '../../src/filter/parser.js';
import { parseEventName, readEventFormat } from '../../src/tracefs/events.js';
import { BAD_FILTERS } from './bad-filters.js';
import { LINUX_6_18, fixtureFormat } from './cases.js';
import { GOOD_FILTERS } from './good-filters.js';

/** The FilterError `run` throws; fails the test when it throws nothing or something else. */
function filterError(run: () => unknown): FilterError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof FilterError, `expected a FilterError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a FilterError, nothing was thrown');
}

test('good filters compile to their canonical text', () => {
  assert.ok(GOOD_FILTERS.length >= 60);
  for (const good of GOOD_FILTERS) {
    const compiled = compileFilter(good.expression, fixtureFormat(good.event), LINUX_6_18, good.event);
    assert.equal(compiled, good.canonical ?? good.expression, `${good.event}: ${good.expression}`);
  }
});

test('the canonical text parses to the same tree and compiles to itself', () => {
  for (const good of GOOD_FILTERS) {
    const format = fixtureFormat(good.event);
    const canonical = compileFilter(good.expression, format, LINUX_6_18, good.event);
    assert.deepEqual(filterShape(parseFilter(canonical)), filterShape(parseFilter(good.expression)), good.expression);
    assert.equal(compileFilter(canonical, format, LINUX_6_18, good.event), canonical, good.expression);
  }
});

test('bad filters raise BAD_FILTER with the caret at the offending token and advice in the hint', () => {
  assert.ok(BAD_FILTERS.length >= 30);
  for (const bad of BAD_FILTERS) {
    const label = `${bad.name}: ${JSON.stringify(bad.expression)}`;
    const error = filterError(() =>
      compileFilter(bad.expression, fixtureFormat(bad.event), bad.grammar ?? LINUX_6_18, bad.event),
    );
    assert.ok(error instanceof PerfBridgeError, label);
    assert.equal(error.code, 'BAD_FILTER', label);
    assert.equal(error.position, bad.position, `${label}: caret at ${error.position}, reason: ${error.reason}`);
    assert.equal(error.expression, bad.expression, label);
    assert.equal(error.eventName, bad.event, label);
    assert.match(error.reason, bad.reason, label);
    assert.match(error.hint, bad.advice, `${label}: hint ${error.hint}`);
    assert.ok(error.message.startsWith(`bad filter for ${bad.event}: ${error.reason}\n`), label);
    assert.ok(error.message.endsWith(`\n  hint: ${error.hint}`), label);
  }
});

test('the message shows the expression with a caret under the offending token', () => {
  const error = filterError(() =>
    compileFilter('fname == "x"', fixtureFormat('syscalls:sys_enter_openat'), LINUX_6_18, 'syscalls:sys_enter_openat'),
  );
  assert.equal(
    error.message,
    `bad filter for syscalls:sys_enter_openat: unknown field 'fname'\n  fname == "x"\n  ^\n  hint: ${error.hint}`,
  );
  const later = filterError(() =>
    compileFilter(
      'prev_pid == 1 &&\tnext_pid = 2',
      fixtureFormat('sched:sched_switch'),
      LINUX_6_18,
      'sched:sched_switch',
    ),
  );
  assert.match(later.message, /\n {2}prev_pid == 1 && next_pid = 2\n {2}( +)\^\n/);
  assert.equal(/\n {2}( +)\^/.exec(later.message)?.[1]?.length, 26);
});

test('a long expression shows a window around the caret', () => {
  const expression = `${'prev_pid == 1 && '.repeat(20)}next_pid = 2`;
  const error = filterError(() =>
    compileFilter(expression, fixtureFormat('sched:sched_switch'), LINUX_6_18, 'sched:sched_switch'),
  );
  const [, shown, caret] = /\n {2}(.*)\n {2}( *)\^\n/.exec(error.message) ?? [];
  assert.ok(shown !== undefined && caret !== undefined);
  assert.ok(shown.startsWith('…') && shown.length < 130, shown);
  assert.equal(shown[caret.length], '=');
  assert.equal(expression[error.position], '=');
});

test('the hint lists the event fields with their types, then the common and special ones', () => {
  const error = filterError(() =>
    compileFilter('pid == 1', fixtureFormat('sched:sched_switch'), LINUX_6_18, 'sched:sched_switch'),
  );
  assert.equal(
    error.hint,
    "did you mean 'next_pid', 'prev_pid' or 'common_pid'? fields: prev_comm string, prev_pid s32, prev_prio s32, prev_state s64, " +
      'next_comm string, next_pid s32, next_prio s32; common: common_type u16, common_flags u8, ' +
      'common_preempt_count u8, common_pid s32; special: CPU, cpu, common_cpu (the CPU), COMM, comm (the task name)',
  );
  const openat = filterError(() =>
    compileFilter('flag & 1', fixtureFormat('syscalls:sys_enter_openat'), LINUX_6_18, 'syscalls:sys_enter_openat'),
  );
  assert.match(
    openat.hint,
    /^did you mean 'flags' or 'common_flags'\? fields: __syscall_nr s32, dfd u64, filename\.ustring string, flags u64/,
  );
  // An event field shadows the special field of the same name.
  const work = filterError(() =>
    compileFilter(
      'cpus == 1',
      fixtureFormat('workqueue:workqueue_queue_work'),
      LINUX_6_18,
      'workqueue:workqueue_queue_work',
    ),
  );
  assert.match(work.hint, /req_cpu s32, cpu s32; common: .*; special: CPU, common_cpu \(the CPU\), COMM, comm/);
});

test('a filter longer than the kernel takes is refused; one that fits only without spaces is compacted', () => {
  const format = fixtureFormat('sched:sched_switch');
  const predicate = `prev_comm == "${'a'.repeat(200)}"`;
  const tooLong = Array.from({ length: 20 }, () => predicate).join(' || ');
  const error = filterError(() => compileFilter(tooLong, format, LINUX_6_18, 'sched:sched_switch'));
  assert.match(error.reason, /bytes long even without spaces; the kernel takes at most 4095/);
  assert.equal(Buffer.byteLength(tooLong.slice(0, error.position)), FILTER_MAX_BYTES);

  const tight = 'prev_pid==1&&'.repeat(314) + 'prev_pid==1';
  assert.ok(tight.length <= FILTER_MAX_BYTES);
  const compiled = compileFilter(tight, format, LINUX_6_18, 'sched:sched_switch');
  assert.equal(compiled, tight);
});

test('expressions deeper than the nesting limit are refused, not a stack overflow', () => {
  const deep = `${'('.repeat(300)}prev_pid == 1${')'.repeat(300)}`;
  const error = filterError(() =>
    compileFilter(deep, fixtureFormat('sched:sched_switch'), LINUX_6_18, 'sched:sched_switch'),
  );
  assert.match(error.reason, /more than 256 nested/);
  assert.equal(error.position, 256);
});

const HOST_EVENTS = [
  'syscalls:sys_enter_openat',
  'sched:sched_switch',
  'sched:sched_process_exec',
  'sched:sched_process_fork',
];

test("filters on the host kernel's formats", { skip: hostSkip() }, () => {
  const host = (event: string) => parseFormat(readEventFormat(parseEventName(event)));
  const exec = host('sched:sched_process_exec');
  assert.equal(
    compileFilter('filename ~ "/usr/*" && pid != 1', exec, LINUX_6_18, 'sched:sched_process_exec'),
    'filename ~ "/usr/*" && pid != 1',
  );
  const openat = host('syscalls:sys_enter_openat');
  assert.equal(
    compileFilter('flags & 1 && filename.ustring ~ "/etc/*"', openat, LINUX_6_18, 'syscalls:sys_enter_openat'),
    'flags & 1 && filename.ustring ~ "/etc/*"',
  );
  assert.equal(
    filterError(() => compileFilter('fname == "x"', openat, LINUX_6_18, 'syscalls:sys_enter_openat')).position,
    0,
  );
  const fork = host('sched:sched_process_fork');
  assert.equal(
    compileFilter('parent_comm == "bash" || child_pid < 300', fork, LINUX_6_18, 'sched:sched_process_fork'),
    'parent_comm == "bash" || child_pid < 300',
  );
  const sw = host('sched:sched_switch');
  assert.equal(filterError(() => compileFilter('prev_pid ~ "1"', sw, LINUX_6_18, 'sched:sched_switch')).position, 11);
});

function hostSkip(): string | false {
  const missing = HOST_EVENTS.find(
    (event) => !existsSync(`/sys/kernel/tracing/events/${event.replace(':', '/')}/format`),
  );
  return missing === undefined ? false : `tracefs at /sys/kernel/tracing has no ${missing} (not mounted, or not root)`;
}
