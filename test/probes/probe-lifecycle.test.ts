/** Probes never outlive their owner: close, exit, signals, SIGKILL (swept), garbage collection. */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { resolveUprobeOffset } from '../../src/elf/resolve.js';
import { cleanup } from '../../src/probes/index-lifecycle.js';
import { registryDir } from '../../src/probes/registry-dir.js';
import { openSession } from '../../src/session/session.js';
import { loadgen } from '../helpers/programs.js';
import { ourProbeLines, probeLines } from '../helpers/tracefs-state.js';

const noUprobes = !existsSync('/sys/kernel/tracing/uprobe_events') && 'kernel has no uprobe_events';
const SESSION_MODULE = new URL('../../src/session/session.js', import.meta.url).href;

/** Starts a node child that opens a session with two uprobes (one in a user-named group), then waits. */
function childWithProbes(extra = ''): { child: ChildProcess; ready: Promise<void> } {
  const source = `
    import { openSession } from ${JSON.stringify(SESSION_MODULE)};
    const binary = ${JSON.stringify(loadgen())};
    const session = openSession({ probes: [\`p \${binary}:pb_target\`, \`p:usergroup_\${process.pid}/named \${binary}:pb_target\`] });
    session.start();
    ${extra}
    process.stdout.write('ready\\n');
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', source], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
    child.once('exit', (code, signal) => {
      reject(new Error(`child exited early: ${code ?? signal}`));
    });
  });
  return { child, ready };
}

/** The name of a process's ownership record (`<pid>-<start time>.json`), if it has one. */
function recordOf(pid: number): string | undefined {
  return readdirSync(registryDir()).find((name) => name.startsWith(`${pid}-`) && name.endsWith('.json'));
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      resolve({ code, signal });
    }),
  );
}

test(
  'probes of a SIGKILLed owner are swept at the next start, its user-named group too',
  { skip: noUprobes },
  async () => {
    const { child, ready } = childWithProbes();
    await ready;
    const pid = child.pid!;
    assert.equal(ourProbeLines(`perfbridge_${pid}_`).length, 1);
    assert.equal(ourProbeLines(`usergroup_${pid}`).length, 1);
    assert.ok(recordOf(pid), 'ownership recorded');
    child.kill('SIGKILL');
    await exitOf(child);
    assert.equal(ourProbeLines(`perfbridge_${pid}_`).length, 1, 'SIGKILL leaves them behind');

    const { removed, failed } = cleanup();
    assert.deepEqual(failed, []);
    assert.deepEqual(removed.sort(), [`perfbridge_${pid}_0:uprobe_pb_target`, `usergroup_${pid}:named`].sort());
    assert.equal(ourProbeLines(`perfbridge_${pid}_`).length, 0);
    assert.equal(ourProbeLines(`usergroup_${pid}`).length, 0);
    assert.equal(recordOf(pid), undefined);
  },
);

test(
  "others' probes are never touched, even in a perfbridge-looking group of a live process",
  { skip: noUprobes },
  async () => {
    const offset = `0x${resolveUprobeOffset(loadgen(), 'pb_target').offset.toString(16)}`;
    const foreign = `p:someone_else/theirs ${loadgen()}:${offset}`;
    const mine = `p:perfbridge_1_0/init_owned ${loadgen()}:${offset}`; // pid 1 is alive: not swept
    const write = (line: string) => spawn('sh', ['-c', `echo '${line}' >> /sys/kernel/tracing/uprobe_events`]);
    await exitOf(write(foreign));
    await exitOf(write(mine));
    try {
      cleanup();
      const session = openSession({ probes: [`p ${loadgen()}:pb_target`] });
      session.close();
      assert.equal(probeLines('uprobe_events').filter((l) => l.includes('someone_else/theirs')).length, 1);
      assert.equal(probeLines('uprobe_events').filter((l) => l.includes('perfbridge_1_0/init_owned')).length, 1);
    } finally {
      await exitOf(write('-:someone_else/theirs'));
      await exitOf(write('-:perfbridge_1_0/init_owned'));
    }
  },
);

for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  test(
    `${signal} removes the probes, then the process dies of ${signal} as it would have`,
    { skip: noUprobes },
    async () => {
      const { child, ready } = childWithProbes();
      await ready;
      const pid = child.pid!;
      assert.equal(ourProbeLines(`perfbridge_${pid}_`).length, 1);
      child.kill(signal);
      const { signal: died } = await exitOf(child);
      assert.equal(died, signal);
      assert.equal(ourProbeLines(`perfbridge_${pid}_`).length, 0);
      assert.equal(ourProbeLines(`usergroup_${pid}`).length, 0);
    },
  );
}

test('a normal exit without close() removes the probes', { skip: noUprobes }, async () => {
  const { child, ready } = childWithProbes('setTimeout(() => process.exit(3), 200);');
  await ready;
  const pid = child.pid!;
  const { code } = await exitOf(child);
  assert.equal(code, 3);
  assert.equal(ourProbeLines(`perfbridge_${pid}_`).length, 0);
  assert.equal(ourProbeLines(`usergroup_${pid}`).length, 0);
});

test(
  'an application that handles SIGINT itself keeps running; the probes go with close()',
  { skip: noUprobes },
  async () => {
    const { child, ready } = childWithProbes(
      "process.on('SIGINT', () => { session.close(); process.stdout.write('handled\\n'); setTimeout(() => process.exit(0), 100); });",
    );
    await ready;
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.kill('SIGINT');
    const { code } = await exitOf(child);
    assert.equal(code, 0);
    assert.match(output, /handled/);
    assert.equal(ourProbeLines(`perfbridge_${child.pid}_`).length, 0);
  },
);

test('the probes of a garbage-collected session are removed', { skip: noUprobes }, async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  (() => {
    openSession({ probes: { gone: `p:pbgc_${process.pid}/gone ${loadgen()}:pb_target` } });
  })();
  assert.equal(ourProbeLines(`pbgc_${process.pid}`).length, 1);
  for (let i = 0; i < 100 && ourProbeLines(`pbgc_${process.pid}`).length > 0; i++) {
    gc();
    await sleep(20);
  }
  assert.equal(ourProbeLines(`pbgc_${process.pid}`).length, 0);
});

test(
  'a stale probe that is in use does not fail a new session; it is swept once released',
  { skip: noUprobes },
  async () => {
    const { child, ready } = childWithProbes();
    await ready;
    const pid = child.pid!;
    child.kill('SIGKILL');
    await exitOf(child);
    const stale = ourProbeLines(`perfbridge_${pid}_`)[0]!;
    const [group, event] = /^p:([^/]+)\/(\S+)/.exec(stale)!.slice(1) as [string, string];
    // Holding the dead owner's event open makes the kernel refuse to delete it (EBUSY).
    const holder = openSession({ events: [`${group}:${event}`] });
    try {
      const session = openSession({ probes: [`p ${loadgen()}:pb_target`] });
      session.close();
      const busy = cleanup();
      assert.deepEqual(
        busy.failed.map((f) => f.probe),
        [`${group}:${event}`],
      );
      assert.match((busy.failed[0]!.error as Error).message, /EBUSY/);
      // The session's own sweep already removed the dead owner's other probe.
      assert.deepEqual(busy.removed, []);
      assert.equal(ourProbeLines(`usergroup_${pid}`).length, 0);
    } finally {
      holder.close();
    }
    const released = cleanup();
    assert.deepEqual(released.removed, [`${group}:${event}`]);
    assert.equal(ourProbeLines(`perfbridge_${pid}_`).length, 0);
    assert.equal(ourProbeLines(`usergroup_${pid}`).length, 0);
  },
);

test(
  'close() does not throw when the kernel keeps a probe busy: it warns, reports it, and a later close() removes it',
  { skip: noUprobes },
  async () => {
    const group = `pbbusy_${process.pid}`;
    const session = openSession({ probes: { held: `p:${group}/held ${loadgen()}:pb_target` } });
    const holder = openSession({ events: [`${group}:held`] }); // another user of the event: EBUSY on delete
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      assert.doesNotThrow(() => {
        session.close();
      });
      await sleep(0); // warnings are emitted on the next tick
      const [left] = session.stats().probesNotRemoved;
      assert.equal(left?.probe, `${group}/held`);
      assert.equal(left.reason, 'busy');
      assert.match(left.message ?? '', /EBUSY/);
      assert.equal(warnings.filter((w) => (w as { code?: string }).code === 'PERF_BRIDGE_PROBE_LEFT').length, 1);
      assert.equal(ourProbeLines(group).length, 1, 'still there, still recorded');
      assert.match(
        readFileSync(`${registryDir()}/${recordOf(process.pid)!}`, 'utf8'),
        new RegExp(`"group":"${group}"`),
      );
      session.close(); // still busy: no second warning
      await sleep(0);
      assert.equal(warnings.length, 1);
    } finally {
      holder.close();
      process.off('warning', onWarning);
    }
    session.close();
    assert.deepEqual(session.stats().probesNotRemoved, []);
    assert.equal(ourProbeLines(group).length, 0);
  },
);
