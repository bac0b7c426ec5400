import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { EventNameError, OptionError } from '../../src/errors.js';
import { DEFAULT_EVENT_GLOB_LIMIT, expandEventNames, isEventPattern } from '../../src/tracefs/event-globs.js';
import { listEvents } from '../../src/tracefs/events.js';
import { tracefsRoot } from '../../src/tracefs/mount.js';

const root = tracefsRoot();
/** The host's events, listed by events.ts: the oracle the expansions are checked against. */
const events = listEvents(root);
const matching = (regex: RegExp) => events.filter((name) => regex.test(name)).sort();

test('names without wildcards pass through unchanged, checked or not', () => {
  const names = ['sched:sched_switch', 'no_such:event', 'sched/sched_wakeup', 'sched:sched_switch'];
  assert.deepEqual(expandEventNames(names, root), names);
  assert.equal(isEventPattern('sched:sched_switch'), false);
  assert.equal(isEventPattern('sched:sched_*'), true);
  assert.equal(isEventPattern('sched:sched_[ab]'), true);
});

test('sched:sched_process_* expands to the sched_process events, sorted', () => {
  const expected = matching(/^sched:sched_process_/);
  assert.ok(expected.includes('sched:sched_process_exec') && expected.includes('sched:sched_process_fork'));
  assert.deepEqual(expandEventNames(['sched:sched_process_*'], root), expected);
  assert.deepEqual(expandEventNames(['sched/sched_process_*'], root), expected, 'group/name works too');
});

test('*:sched_switch searches every group; ? and [...] match one character', () => {
  assert.deepEqual(expandEventNames(['*:sched_switch'], root), matching(/^[^:]+:sched_switch$/));
  assert.deepEqual(expandEventNames(['sched:sched_process_e?e?'], root), ['sched:sched_process_exec']);
  assert.deepEqual(expandEventNames(['sched:sched_process_[ef]x*'], root), matching(/^sched:sched_process_[ef]x/));
  assert.deepEqual(expandEventNames(['sched:sched_process_[!e]*'], root), matching(/^sched:sched_process_[^e]/));
  assert.deepEqual(expandEventNames(['sch?d:sched_process_[a-f]*'], root), matching(/^sched:sched_process_[a-f]/));
});

test('patterns expand in place, in input order; nothing is listed twice', () => {
  const process = matching(/^sched:sched_process_/);
  const out = expandEventNames(['raw_syscalls:sys_enter', 'sched:sched_process_*', 'sched:sched_process_exec'], root);
  // The exec named outright keeps its place; the pattern adds the others.
  assert.deepEqual(out, [
    'raw_syscalls:sys_enter',
    ...process.filter((name) => name !== 'sched:sched_process_exec'),
    'sched:sched_process_exec',
  ]);
  const overlapping = expandEventNames(['sched:sched_process_e*', 'sched:sched_process_*'], root);
  assert.deepEqual(overlapping, [...matching(/^sched:sched_process_e/), ...matching(/^sched:sched_process_[^e]/)]);
  assert.equal(new Set(overlapping).size, overlapping.length);
});

test('a pattern that matches nothing is an EventNameError with a hint', () => {
  const cases: [string, RegExp][] = [
    ['sched:no_such_*', /`perf-bridge list sched:` shows the events of sched/],
    ['schd:sched_*', /there is no event group "schd".*did you mean sched/],
    ['*:no_such_event_anywhere', /perf-bridge list/],
  ];
  for (const [pattern, hint] of cases) {
    assert.throws(
      () => expandEventNames([pattern], root),
      (error: unknown) => {
        assert.ok(error instanceof EventNameError, pattern);
        assert.equal(error.event, pattern);
        assert.match(error.message, /matches no trace event on this kernel/);
        assert.match(error.hint, hint);
        return true;
      },
    );
  }
});

test('malformed patterns are EventNameErrors naming the problem', () => {
  const cases: [string, RegExp][] = [
    ['sched_*', /no ":"/],
    ['a:b:*', /more than one/],
    [':sched_*', /group is empty/],
    ['sched:a b*', /characters no event name/],
    ['sched:sched_[', /empty, unclosed/],
    ['sched:sched_[*]', /holds a wildcard/],
    ['sched:sched_[z-a]', /out of order/],
    ['sched:a!*', /! outside a \[\.\.\.\] set/],
  ];
  for (const [pattern, message] of cases) {
    assert.throws(
      () => expandEventNames([pattern], root),
      (error: unknown) => error instanceof EventNameError && message.test(error.message),
      pattern,
    );
  }
});

test('syscalls:sys_enter_* is more than the default limit: the error says how many; a limit lets it through', () => {
  const enters = matching(/^syscalls:sys_enter_/);
  assert.ok(enters.length > DEFAULT_EVENT_GLOB_LIMIT, `${enters.length} syscalls on this kernel`);
  assert.throws(
    () => expandEventNames(['syscalls:sys_enter_*'], root),
    (error: unknown) => {
      assert.ok(error instanceof OptionError);
      assert.equal(error.option, 'events');
      assert.match(
        error.message,
        new RegExp(`"syscalls:sys_enter_\\*" matches ${enters.length} events, more than the limit of 256`),
      );
      assert.match(error.hint, /narrow the pattern .* or raise the limit/);
      return true;
    },
  );
  assert.deepEqual(expandEventNames(['syscalls:sys_enter_*'], root, enters.length), enters);
  // The limit counts what all patterns add together, and says what each added.
  assert.throws(
    () => expandEventNames(['sched:sched_process_*', 'sched:sched_wak*'], root, 3),
    /the patterns \("sched:sched_process_\*" \d+, "sched:sched_wak\*" \d+\) match \d+ events, more than the limit of 3/,
  );
  assert.throws(() => expandEventNames(['sched:*'], root, -1), OptionError);
});

test('only directories with a format file are events (a made-up tracefs tree)', () => {
  // Layout of tracefs events/: GROUP/EVENT/{format,id,...}, plus control files (enable, filter).
  const fake = mkdtempSync(join(tmpdir(), 'pb-proc-tracefs-'));
  try {
    for (const event of ['grp/ev_one', 'grp/ev_two', 'other/ev_one']) {
      mkdirSync(join(fake, 'events', event), { recursive: true });
      writeFileSync(join(fake, 'events', event, 'format'), 'name: x\n');
    }
    mkdirSync(join(fake, 'events', 'grp', 'ev_half'));
    writeFileSync(join(fake, 'events', 'grp', 'enable'), '0\n');
    writeFileSync(join(fake, 'events', 'enable'), '0\n');
    assert.deepEqual(readdirSync(join(fake, 'events', 'grp')).sort(), ['enable', 'ev_half', 'ev_one', 'ev_two']);
    assert.deepEqual(expandEventNames(['grp:*'], fake), ['grp:ev_one', 'grp:ev_two']);
    assert.deepEqual(expandEventNames(['*:ev_one'], fake), ['grp:ev_one', 'other:ev_one']);
    assert.deepEqual(expandEventNames(['*:*'], fake), ['grp:ev_one', 'grp:ev_two', 'other:ev_one']);
  } finally {
    rmSync(fake, { recursive: true });
  }
});
