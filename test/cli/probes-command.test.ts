/**
 * `probes` and `probes --cleanup` on the host, with uprobes: a perf-bridge process that owns a
 * probe is killed with SIGKILL and listed as dead; the clean-up removes exactly its probe, and
 * leaves a running owner's probe and a foreign probe alone.
 *
 * The owners and the CLI share a registry directory of this test's own (set before any owner
 * starts, so they inherit it): no other suite's dead owners can show up in the counts. The foreign
 * probe is created here under a group named after this test's pid, under the library's probe lock
 * and only while the name is free, and removed in a finally block.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { resolveUprobeOffset } from '../../src/elf/resolve.js';
import { sweepDeadOwners } from '../../src/probes/sweep.js';
import { withProbeLock } from '../../src/probes/probe-lock.js';
import { tracefsRoot } from '../../src/tracefs/mount.js';
import { eventExists, probeLinesOf, writeProbeCommand } from '../../src/tracefs/probe-files.js';
import { ProbeOwner } from '../helpers/probe-owner.js';
import { loadgen } from '../helpers/programs.js';
import { probeLines } from '../helpers/tracefs-state.js';
import { runCli } from './cli-process.js';

const TARGET = `${loadgen()}:pb_target`;
/** The same function as the kernel wants it from a writer of uprobe_events: PATH:OFFSET. */
const RAW_TARGET = `${loadgen()}:0x${resolveUprobeOffset(loadgen(), 'pb_target').offset.toString(16)}`;
const FOREIGN_GROUP = `pbargs_foreign_${process.pid}`;
const FOREIGN_EVENT = 'probe';

/** The rows of `probes` that name a group, as [probe, owner] pairs. */
async function listed(): Promise<Map<string, string>> {
  const { code, stdout, stderr } = await runCli(['probes']);
  assert.equal(code, 0, stderr);
  const rows = stdout.trimEnd().split('\n');
  assert.match(rows[0]!, /^PROBE +OWNER +DEFINITION$/);
  assert.match(rows.at(-1)!, /^\d+ probes: \d+ of running perf-bridge processes, \d+ of dead ones, \d+ foreign/);
  const entries = rows.slice(1, -1).map((row) => /^(\S+) +(.+?) {2,}/.exec(row)!.slice(1, 3) as [string, string]);
  return new Map(entries);
}

/** The `group:event` of the probe `owner` created (its group is named after its pid). */
function probeOf(probes: Map<string, string>, pid: number): string {
  const names = [...probes.keys()].filter((name) => name.startsWith(`perfbridge_${pid}_`));
  assert.equal(names.length, 1, `one probe of ${pid}: ${[...probes.keys()].join(', ')}`);
  return names[0]!;
}

/** Creates the foreign probe (failing when its name is taken) and returns its line. */
function createForeignProbe(root: string): string {
  return withProbeLock(root, () => {
    if (probeLinesOf(root, 'uprobe_events', FOREIGN_GROUP, FOREIGN_EVENT).length > 0) assert.fail('name in use');
    if (eventExists(root, FOREIGN_GROUP, FOREIGN_EVENT)) assert.fail('name in use');
    writeProbeCommand(
      root,
      'uprobe_events',
      `p:${FOREIGN_GROUP}/${FOREIGN_EVENT} ${RAW_TARGET}`,
      'create a test probe',
    );
    const lines = probeLinesOf(root, 'uprobe_events', FOREIGN_GROUP, FOREIGN_EVENT);
    assert.equal(lines.length, 1);
    return lines[0]!;
  });
}

/** Removes the foreign probe, only while its event is exactly the line created. */
function removeForeignProbe(root: string, line: string): void {
  withProbeLock(root, () => {
    const lines = probeLinesOf(root, 'uprobe_events', FOREIGN_GROUP, FOREIGN_EVENT);
    if (lines.length === 1 && lines[0] === line) {
      writeProbeCommand(root, 'uprobe_events', `-:${FOREIGN_GROUP}/${FOREIGN_EVENT}`, 'remove the test probe');
    }
  });
}

test('probes lists owners alive and dead and foreign probes; --cleanup removes only the dead owner’s', async () => {
  const root = tracefsRoot();
  const registry = mkdtempSync(join(tmpdir(), 'pb-args-registry-'));
  process.env.PERF_BRIDGE_REGISTRY_DIR = registry;
  const owners: ProbeOwner[] = [];
  let foreignLine: string | undefined;
  try {
    const doomed = await ProbeOwner.start();
    owners.push(doomed);
    const survivor = await ProbeOwner.start();
    owners.push(survivor);
    assert.deepEqual(await doomed.open({ entry: `p ${TARGET}` }), { ok: true });
    assert.deepEqual(await survivor.open({ entry: `p ${TARGET}` }), { ok: true });
    foreignLine = createForeignProbe(root);

    let probes = await listed();
    const doomedProbe = probeOf(probes, doomed.pid);
    const survivorProbe = probeOf(probes, survivor.pid);
    assert.equal(probes.get(doomedProbe), `pid ${doomed.pid} running`);
    assert.equal(probes.get(survivorProbe), `pid ${survivor.pid} running`);
    assert.equal(probes.get(`${FOREIGN_GROUP}:${FOREIGN_EVENT}`), 'foreign');

    assert.equal((await doomed.kill('SIGKILL')).signal, 'SIGKILL');
    probes = await listed();
    assert.equal(probes.get(doomedProbe), `pid ${doomed.pid} dead`, 'the killed owner is dead, its probe still there');
    assert.equal(probes.get(survivorProbe), `pid ${survivor.pid} running`);

    const cleanup = await runCli(['probes', '--cleanup']);
    assert.equal(cleanup.code, 0, cleanup.stderr);
    assert.equal(
      cleanup.stdout,
      `removed ${doomedProbe}\nremoved 1 probe of dead perf-bridge processes\n`,
      'exactly the dead owner’s probe',
    );
    probes = await listed();
    assert.equal(probes.has(doomedProbe), false, 'gone from the list');
    assert.equal(probes.get(survivorProbe), `pid ${survivor.pid} running`, 'the running owner’s probe stays');
    assert.equal(probes.get(`${FOREIGN_GROUP}:${FOREIGN_EVENT}`), 'foreign', 'the foreign probe stays');
    const [doomedGroup] = doomedProbe.split(':');
    assert.equal(
      probeLines('uprobe_events').some((line) => line.includes(`:${doomedGroup!}/`)),
      false,
      'gone from uprobe_events',
    );

    const again = await runCli(['probes', '--cleanup']);
    assert.equal(again.stdout, 'removed 0 probes of dead perf-bridge processes\n', 'nothing left to sweep');
  } finally {
    for (const owner of owners) await owner.end();
    if (foreignLine !== undefined) removeForeignProbe(root, foreignLine);
    sweepDeadOwners(root); // what a failed assertion may have left, in this test's registry only
    assert.deepEqual(readdirSync(registry), [], 'no record left');
    rmSync(registry, { recursive: true });
  }
});
