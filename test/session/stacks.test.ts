/**
 * Call stacks through a real session: user stacks of a uprobe on a program with frame pointers
 * (main → outer → inner → probe_me), symbolized after the program exited; kernel stacks of a
 * tracepoint; the same stacks in columnar form; the `stack` option checked.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { ColumnBatch } from '../../src/decode/columns.js';
import type { TraceEvent } from '../../src/decode/records.js';
import { type FieldsMap, openSession, type Session } from '../../src/session/session.js';
import type { CallStack } from '../../src/symbols/stack-table.js';
import { stackTarget, stackTargetCommand } from '../helpers/stack-target.js';

const CALLS = 5;

/** The symbols of a stack's frames, innermost first. */
function symbols(stack: CallStack | undefined): (string | undefined)[] {
  assert.ok(stack !== undefined, 'the event has a stack');
  return stack.map((frame) => frame.symbol);
}

/** Runs the session's command to its end before anything is read, then reads every event. */
async function eventsAfterExit<M extends FieldsMap>(session: Session<M>): Promise<TraceEvent[]> {
  session.start();
  assert.deepEqual(await session.command!.exited, { code: 0, signal: null, status: 0 });
  const events: TraceEvent[] = [];
  session.onBatch((batch) => events.push(...(batch as TraceEvent[])));
  session.close();
  return events;
}

/** A session with user stacks on a uprobe at the fixture's probe_me, which it runs (CALLS calls). */
function probeSession() {
  return openSession({
    probes: [`p ${stackTarget()}:probe_me`],
    stack: 'user',
    command: stackTargetCommand(CALLS),
    flushIntervalMs: 60_000,
  });
}

test('a uprobe with user stacks: main → outer → inner → probe_me, named after the program exited', async () => {
  const events = await eventsAfterExit(probeSession());
  assert.equal(events.length, CALLS);
  for (const event of events) {
    assert.deepEqual(symbols(event.stack).slice(0, 4), ['probe_me', 'inner', 'outer', 'main']);
    const first = event.stack![0]!;
    assert.equal(first.offset, 0, 'the probe is at the function entry');
    assert.equal(first.module, stackTarget());
    assert.equal(event.stack!.truncated, false);
  }
  // One code path: one interned stack.
  assert.equal(new Set(events.map((event) => event.stack)).size, 1);
});

test('kernel stacks of a tracepoint pass through the system call entry', async () => {
  // sched_process_exec fires inside execve(); a sys_enter_* tracepoint has user registers, and
  // the kernel records no kernel frames for those.
  const session = openSession({
    events: ['sched:sched_process_exec'],
    stack: { from: 'kernel', maxDepth: 64 },
    command: stackTargetCommand(1),
    flushIntervalMs: 60_000,
  });
  const pid = session.command!.pid;
  const execs = (await eventsAfterExit(session)).filter((event) => event.pid === pid);
  assert.ok(execs.length >= 1);
  for (const { stack } of execs) {
    const names = symbols(stack);
    assert.ok(
      stack!.every((frame) => frame.module === '[kernel]'),
      'kernel frames only',
    );
    assert.ok(names.includes('do_syscall_64'), names.join(' '));
    assert.ok(
      names.some((name) => name?.includes('sys_execve') === true),
      names.join(' '),
    );
  }
});

test('a system call wrapper keeps no frame of its own: the frame of its caller is skipped, as perf shows it', async () => {
  // read() in libc keeps no frame pointer: the walk goes from it to the return address of
  // probe_me's caller. perf record -g shows the same chain.
  const session = openSession({
    events: ['syscalls:sys_enter_read'],
    stack: 'user',
    command: stackTargetCommand(1),
    flushIntervalMs: 60_000,
  });
  const pid = session.command!.pid;
  const reads = (await eventsAfterExit(session)).filter((event) => event.pid === pid && event.comm !== 'sh');
  const fromProbe = reads.filter((event) => symbols(event.stack).includes('inner'));
  assert.equal(fromProbe.length, 1, 'probe_me reads stdin once');
  assert.deepEqual(symbols(fromProbe[0]!.stack).slice(0, 4), ['read', 'inner', 'outer', 'main']);
  assert.match(fromProbe[0]!.stack![0]!.module!, /libc\.so/);
});

test('columnar batches carry a stack column indexing the batch’s distinct stacks', async () => {
  const session = probeSession();
  session.start();
  await session.command!.exited;
  const batches: ColumnBatch[] = [];
  session.onColumns((batch) => {
    const rows = [...batch.events.values()][0]!;
    const stacks = batch.stacks!;
    batches.push(batch);
    for (const index of rows.stack!)
      assert.deepEqual(symbols(stacks[index]).slice(0, 4), ['probe_me', 'inner', 'outer', 'main']);
  });
  session.close();
  const rows = batches.reduce((sum, batch) => sum + batch.length, 0);
  assert.equal(rows, CALLS);
});

test('the stack option is checked before anything is opened', () => {
  assert.throws(() => openSession({ events: ['sched:sched_switch'], stack: 'all' as never }), {
    code: 'BAD_OPTION_VALUE',
    option: 'stack',
  });
  assert.throws(() => openSession({ events: ['sched:sched_switch'], stack: { from: 'user', maxDepth: 100_000 } }), {
    code: 'BAD_OPTION_VALUE',
    option: 'stack.maxDepth',
    message: /perf_event_max_stack/,
  });
  assert.throws(() => openSession({ events: [{ event: 'sched:sched_switch', stack: { from: 'kernal' as never } }] }), {
    option: 'events[0].stack',
  });
});

test('a stack option per event: only that event has stacks, in objects and in columns', async () => {
  const session = openSession({
    events: [{ event: 'sched:sched_process_exec', stack: 'kernel' }, 'sched:sched_process_exit'],
    command: stackTargetCommand(1),
    flushIntervalMs: 60_000,
  });
  const pid = session.command!.pid;
  session.start();
  await session.command!.exited;
  const objects: TraceEvent[] = [];
  const columns: ColumnBatch[] = [];
  session.onBatch((batch) => objects.push(...batch.filter((event) => event.pid === pid)));
  session.onColumns((batch) => columns.push(batch));
  session.close();
  const exec = objects.find((event) => event.event === 'sched:sched_process_exec');
  const exit = objects.find((event) => event.event === 'sched:sched_process_exit');
  assert.ok(exec?.stack !== undefined && exec.stack.length > 0);
  assert.ok(exit !== undefined && !('stack' in exit));
  const execColumns = columns.flatMap((batch) => {
    const rows = batch.events.get('sched:sched_process_exec');
    return rows === undefined ? [] : [{ rows, stacks: batch.stacks! }];
  });
  assert.ok(execColumns.length > 0);
  for (const { rows, stacks } of execColumns) {
    assert.equal(rows.stack!.length, rows.length);
    for (const index of rows.stack!) assert.ok(stacks[index]!.every((frame) => frame.module === '[kernel]'));
  }
  for (const batch of columns) assert.equal(batch.events.get('sched:sched_process_exit')?.stack, undefined);
});
