/**
 * Uprobes and uretprobes for real on this machine's kernel: exact counts, every value checked
 * against the load generator's own arguments, and against perf script.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { comm, deref, reg, retval } from '../../src/probes/fetch.js';
import { uprobe, uretprobe } from '../../src/probes/builder.js';
import { openSession } from '../../src/session/session.js';
import { ProbeConflictError } from '../../src/errors.js';
import { callLabel, callReturns, callValue } from '../helpers/loadgen-calls.js';
import { havePerf, perfRecord } from '../helpers/perf-script.js';
import { loadgen, parseLoadgenReport } from '../helpers/programs.js';
import { spawnGated } from '../helpers/processes.js';
import { byTime } from '../helpers/time-order.js';
import { ourProbeLines, probeLines } from '../helpers/tracefs-state.js';
import { existsSync } from 'node:fs';

const noUprobes = !existsSync('/sys/kernel/tracing/uprobe_events') && 'kernel has no uprobe_events';
/**
 * The groups of this process's sessions. Other test files, and other perf-bridge processes, have
 * probes of their own at the same time: counting every perfbridge_ group would count theirs too.
 */
const OWN_GROUPS = `perfbridge_${process.pid}_`;
/** A group named by the test, unique to this process for the same reason. */
const TEXT_GROUP = `textgroup_${process.pid}`;
const COMPARE_GROUP = `pbcompare_${process.pid}`;

test(
  'a uprobe with string, s64, $comm and dereference args: exact count and every value',
  { skip: noUprobes },
  async () => {
    const N = 20_000;
    const binary = loadgen();
    const call = uprobe(binary, 'pb_target')
      .arg('label', deref(reg('di')).as('string'))
      .arg('value', reg('si').as('s64'))
      .arg('first', deref(reg('di')).as('u8'))
      .arg('name', comm());
    const gated = spawnGated(binary, ['call', String(N)]);
    const session = openSession({ probes: { call }, pid: gated.child.pid! });
    const seen: { label: string; value: bigint; first: number; name: string; pid: number; time: bigint }[] = [];
    session.onBatch((batch) => {
      for (const event of batch) {
        assert.equal(event.event, 'call');
        // Typed from the builder: no casts needed.
        const { label, value, first, name } = event.fields;
        seen.push({ label, value, first, name, pid: event.pid, time: event.time });
      }
    });
    session.start();
    assert.equal(ourProbeLines(OWN_GROUPS).length, 1, 'the probe exists in our group while the session is open');
    gated.open();
    const report = parseLoadgenReport(await gated.done);
    session.stop();
    const stats = session.stats();
    session.close();
    assert.equal(ourProbeLines(OWN_GROUPS).length, 0, 'close() removed the probe');

    assert.equal(seen.length, N);
    seen.sort(byTime);
    assert.equal(stats.lost.total, 0);
    // uprobe_profile counts the breakpoint's hits in every process it is armed in: other tests and
    // tools calling pb_target of this binary meanwhile add theirs (seen.length is the exact count).
    const hits = stats.probes.call?.hits ?? 0;
    assert.ok(hits >= N, `uprobe_profile counted every hit: ${hits} of ${N}`);
    const comm15 = binary.split('/').pop()!.slice(0, 15);
    seen.forEach((event, i) => {
      assert.equal(event.pid, report.pid);
      assert.equal(event.label, callLabel(i), `call ${i}`);
      assert.equal(event.value, callValue(i), `call ${i}`);
      assert.equal(event.first, 'i'.charCodeAt(0));
      assert.equal(event.name, comm15);
    });
  },
);

test(
  'a uretprobe with $retval gives every return value; kernel text works like the builder',
  { skip: noUprobes },
  async () => {
    const N = 5_000;
    const binary = loadgen();
    const gated = spawnGated(binary, ['call', String(N)]);
    const session = openSession({
      probes: {
        ret: uretprobe(binary, 'pb_target').arg('ret', retval().as('s64')),
        text: `r:${TEXT_GROUP}/textret ${binary}:pb_target rv=$retval:s64`,
      },
      pid: gated.child.pid!,
    });
    const returns: { time: bigint; value: bigint }[] = [];
    const textReturns: { time: bigint; value: unknown }[] = [];
    session.onBatch((batch) => {
      for (const event of batch) {
        if (event.event === 'ret') returns.push({ time: event.time, value: event.fields.ret });
        else textReturns.push({ time: event.time, value: event.fields.rv });
      }
    });
    session.start();
    assert.equal(ourProbeLines(TEXT_GROUP).length, 1, 'a user-named group is used as given');
    gated.open();
    await gated.done;
    session.close();
    const inTimeOrder = (values: { time: bigint; value: unknown }[]) => values.sort(byTime).map((v) => v.value);
    assert.deepEqual(inTimeOrder(returns), [...callReturns(N)]);
    assert.deepEqual(inTimeOrder(textReturns), [...callReturns(N)]);
    assert.equal(ourProbeLines(TEXT_GROUP).length, 0);
  },
);

test('nested dereference reaches a string behind two pointers', { skip: noUprobes }, async () => {
  const N = 1_000;
  const binary = loadgen();
  const gated = spawnGated(binary, ['nested', String(N)]);
  const session = openSession({
    probes: { nested: `p ${binary}:pb_nested label=+0(+0(%di)):string value=+8(%di):s64` },
    pid: gated.child.pid!,
  });
  const seen: { time: bigint; label: unknown; value: unknown }[] = [];
  session.onBatch((batch) => {
    for (const event of batch) seen.push({ time: event.time, label: event.fields.label, value: event.fields.value });
  });
  session.start();
  gated.open();
  await gated.done;
  session.close();
  assert.equal(seen.length, N);
  seen.sort(byTime); // call order, whatever CPUs the thread ran on
  seen.forEach(({ label, value }, i) => {
    assert.deepEqual([label, value], [callLabel(i), callValue(i)]);
  });
});

test('one session mixes tracepoints and uprobes', { skip: noUprobes }, async () => {
  const binary = loadgen();
  const gated = spawnGated(binary, ['call', '100']);
  const session = openSession({
    events: ['syscalls:sys_exit_write'],
    probes: [`p ${binary}:pb_target v=%si:s64`],
    pid: gated.child.pid!,
  });
  const counts = new Map<string, number>();
  session.onBatch((batch) => {
    batch.forEach((event) => counts.set(event.event, (counts.get(event.event) ?? 0) + 1));
  });
  session.start();
  gated.open();
  await gated.done;
  session.close();
  // An array probe is reported under the name perf-bridge gave it: its kind and symbol.
  assert.deepEqual([...counts.keys()].sort(), ['syscalls:sys_exit_write', 'uprobe_pb_target']);
  assert.equal(counts.get('uprobe_pb_target'), 100);
  assert.equal(counts.get('syscalls:sys_exit_write'), 1, 'the closing report line');
});

test(
  'an entry and a return probe on one symbol, given with labels only, capture both',
  { skip: noUprobes },
  async () => {
    const N = 2_000;
    const binary = loadgen();
    const gated = spawnGated(binary, ['call', String(N)]);
    const session = openSession({
      probes: {
        enter: uprobe(binary, 'pb_target').arg('value', reg('si').as('s64')),
        leave: uretprobe(binary, 'pb_target').arg('ret', retval().as('s64')),
      },
      pid: gated.child.pid!,
    });
    const seen = { enter: [] as bigint[], leave: [] as bigint[] };
    const times = { enter: [] as bigint[], leave: [] as bigint[] };
    session.onBatch((batch) => {
      for (const event of batch) {
        if (event.event === 'enter') {
          seen.enter.push(event.fields.value);
          times.enter.push(event.time);
        } else {
          seen.leave.push(event.fields.ret);
          times.leave.push(event.time);
        }
      }
    });
    session.start();
    const listed = ourProbeLines(OWN_GROUPS);
    assert.equal(listed.length, 2, listed.join('\n'));
    assert.match(listed.join('\n'), /^p:perfbridge_\d+_\d+\/uprobe_enter .*\nr:perfbridge_\d+_\d+\/uretprobe_leave /);
    gated.open();
    await gated.done;
    session.close();
    assert.equal(ourProbeLines(OWN_GROUPS).length, 0);
    const inOrder = (values: bigint[], at: bigint[]) =>
      values
        .map((value, i) => ({ value, time: at[i]! }))
        .sort(byTime)
        .map((v) => v.value);
    const values = Array.from({ length: N }, (_, i) => callValue(i));
    assert.deepEqual(inOrder(seen.enter, times.enter), values);
    assert.deepEqual(inOrder(seen.leave, times.leave), [...callReturns(N)]);
  },
);

test(
  'PATH:SYMBOL alone and with r, in an array: entry and return events under their default names',
  { skip: noUprobes },
  async () => {
    const N = 500;
    const binary = loadgen();
    const gated = spawnGated(binary, ['call', String(N)]);
    const session = openSession({ probes: [`${binary}:pb_target`, `r ${binary}:pb_target`], pid: gated.child.pid! });
    const counts = new Map<string, number>();
    session.onBatch((batch) => {
      batch.forEach((event) => counts.set(event.event, (counts.get(event.event) ?? 0) + 1));
    });
    session.start();
    gated.open();
    await gated.done;
    session.close();
    assert.deepEqual(Object.fromEntries(counts), { uprobe_pb_target: N, uretprobe_pb_target: N });
  },
);

test('a bare PATH:SYMBOL under a label captures every call', { skip: noUprobes }, async () => {
  const N = 300;
  const binary = loadgen();
  const gated = spawnGated(binary, ['call', String(N)]);
  const session = openSession({ probes: { calls: `${binary}:pb_target` }, pid: gated.child.pid! });
  let calls = 0;
  session.onBatch((batch) => {
    for (const event of batch) {
      assert.equal(event.event, 'calls');
      calls++;
    }
  });
  session.start();
  gated.open();
  await gated.done;
  session.close();
  assert.equal(calls, N);
});

test(
  'decoded uprobe values equal what perf script prints',
  { skip: noUprobes || (!havePerf() && 'perf (apt linux-perf) is not installed') },
  async () => {
    const binary = loadgen();
    // The session creates the probe; perf records the same tracefs event by name.
    const session = openSession({
      probes: [`p:${COMPARE_GROUP}/call ${binary}:pb_target label=+0(%di):string value=%si:s64`],
    });
    const timed: { time: bigint; line: string }[] = [];
    session.onBatch((batch) => {
      for (const e of batch) {
        timed.push({
          time: e.time,
          line: `${e.pid} label="${String(e.fields.label)}" value=${String(e.fields.value)}`,
        });
      }
    });
    session.start();
    let reference;
    try {
      reference = await perfRecord([`${COMPARE_GROUP}:call`], [binary, 'call', '300']);
    } finally {
      session.close();
    }
    // perf script prints in time order; put ours in time order too.
    const ours = timed.sort(byTime).map(({ line }) => line);
    const theirs = reference.events.map((e) => `${e.pid} ${e.trace.replace(/^\([0-9a-f]+\)\s*/, '')}`);
    assert.equal(theirs.length, 300);
    const pid = reference.events[0]!.pid;
    assert.deepEqual(
      ours.filter((line) => line.startsWith(`${pid} `)),
      theirs,
    );
  },
);

test('a failure midway removes the probes created before it', { skip: noUprobes }, () => {
  const binary = loadgen();
  const group = `pbmid_${process.pid}`;
  // Every definition is valid; the second's name is a tracepoint's, found taken only at its turn.
  assert.throws(
    () => openSession({ probes: [`p:${group}/good ${binary}:pb_target`, `p:sched/sched_switch ${binary}:pb_target`] }),
    (error: unknown) => error instanceof ProbeConflictError && error.probe === 'sched/sched_switch',
  );
  assert.equal(probeLines('uprobe_events').filter((l) => l.includes(`:${group}/`)).length, 0);
});

test('an unresolvable uprobe symbol is refused before anything is written', { skip: noUprobes }, () => {
  const before = probeLines('uprobe_events');
  assert.throws(() => openSession({ probes: [`p ${loadgen()}:pb_targte`] }), /pb_targte[\s\S]*pb_target/);
  assert.deepEqual(probeLines('uprobe_events'), before);
});
