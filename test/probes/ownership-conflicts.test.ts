/**
 * Issue 8, probe-name collisions. The kernel appends a definition whose GROUP/EVENT exists (same
 * probe type) to that event as a second probe point instead of refusing it; `-:GROUP/EVENT` by
 * either side then takes the other's point too, and 6.12 oopses when that owner closes (NULL
 * dereference in uprobe_apply, holding event_mutex: tracefs hangs for good). So perf-bridge must
 * refuse a taken name with ProbeConflictError before writing anything, create names under an
 * inter-process lock, and delete an event only while every line it has is one perf-bridge wrote.
 *
 * These make real collisions, so they run only in the kernel VMs (test/kernel/run.ts), for uprobes
 * and kprobes. A collision the kernel did take leaves two owners on one event, where closing either
 * can oops: such owners are parked (left open until the VM powers off), so the failure stays that
 * test's own and the others still run. Foreign probes are written the way a shell user would.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { cleanup } from '../../src/index.js';
import {
  PROBE_KINDS,
  type ProbeKind,
  VM_ONLY,
  assertRefused,
  eventLines,
  probeFileText,
  tryOpenSession,
  writeLikeAShell,
} from '../helpers/collisions.js';
import { assertKernelUsable, kernelHasOopsed, kernelLogMark, kernelProblemsSince } from '../helpers/kernel-log.js';
import { OwnerPool } from '../helpers/owner-pool.js';
import type { BarrierOutcome, ProbeOwner } from '../helpers/probe-owner.js';
import { ourProbeLines } from '../helpers/tracefs-state.js';

/** Kernel log position before the first test, so the last test sees only what these tests caused. */
const logMark = VM_ONLY ? -1 : kernelLogMark();
/** Hits of site 0 an owner must count exactly (a uprobe hit costs ~1 ms under the VMs' emulation). */
const HITS = 200;
const RACE_ROUNDS = 10;
const KEEP = 'mine/keep';

const pool = new OwnerPool();
// Two owners the tests share; the last test of each kind SIGKILLs one, so the next kind needs a third.
// All boot while the first tests run.
if (!VM_ONLY) pool.prestart(2 + PROBE_KINDS.length - 1);
after(() => pool.endAll());

/** Parks `owners` when `name` has more than one probe point: closing either could oops the kernel. */
async function parkIfShared(kind: ProbeKind, name: string, owners: ProbeOwner[]): Promise<string[] | undefined> {
  const lines = eventLines(kind.file, name);
  if (lines.length <= 1) return undefined;
  await Promise.all(owners.map((owner) => owner.park()));
  return lines;
}

/** Removes the foreign probe `mine/keep` the way it was created. */
function removeForeignKeep(kind: ProbeKind): void {
  // After an oops tracefs may be locked for good: touching it would hang the file rather than fail it.
  if (!kernelHasOopsed()) writeLikeAShell(kind.file, `-:${KEEP}`);
}

/** Creates the foreign probe `mine/keep` like a shell would, runs `body` with its line, and removes it. */
async function withForeignKeep(kind: ProbeKind, body: (line: string) => unknown): Promise<void> {
  assertKernelUsable();
  writeLikeAShell(kind.file, `p:${KEEP} ${kind.rawSite(1)}`);
  const created = eventLines(kind.file, KEEP);
  try {
    assert.equal(created.length, 1, `the kernel lists ${KEEP} once`);
    await body(created[0]!);
  } catch (error) {
    try {
      removeForeignKeep(kind);
    } catch {
      // Gone already, most likely; the body's failure says more.
    }
    throw error;
  }
  removeForeignKeep(kind);
  assert.deepEqual(eventLines(kind.file, KEEP), [], `the test removed ${KEEP} itself`);
}

for (const kind of PROBE_KINDS) {
  const skip = VM_ONLY || kind.skip;

  test(`${kind.name}: two definitions of one name in one openSession are refused, nothing is written`, { skip }, () => {
    assertKernelUsable();
    const name = `dup_${kind.name}/twice`;
    const before = probeFileText(kind.file);
    const { session, error } = tryOpenSession({ one: `p:${name} ${kind.site(0)}`, two: `p:${name} ${kind.site(1)}` });
    const written = eventLines(kind.file, name);
    // Both points exist before any perf fd opens on the event, so closing this is safe.
    session?.close();
    assert.ok(session === undefined, `openSession accepted both; the kernel listed ${written.join(' | ')}`);
    assertRefused(error, name, 'unchecked');
    assert.equal(probeFileText(kind.file), before, `nothing was written to ${kind.file}`);
  });

  test(`${kind.name}: a session defining a foreign ${KEEP} elsewhere is refused; cleanup() keeps it`, { skip }, () =>
    withForeignKeep(kind, (keep) => {
      const before = probeFileText(kind.file);
      const { session, error } = tryOpenSession({ keep: `p:${KEEP} ${kind.site(0)}` });
      const written = eventLines(kind.file, KEEP);
      // Nobody else has mine/keep open, so closing a session the kernel let in cannot oops.
      session?.close();
      assert.ok(session === undefined, `openSession accepted ${KEEP}; the kernel listed ${written.join(' | ')}`);
      assertRefused(error, KEEP, 'none');
      assert.equal(probeFileText(kind.file), before, `nothing was written: ${kind.file} is byte-identical`);

      const swept = cleanup();
      assert.ok(!swept.removed.includes('mine:keep'), `cleanup() removed ${KEEP}`);
      assert.deepEqual(eventLines(kind.file, KEEP), [keep], `${KEEP} is byte-identical after cleanup()`);
    }),
  );

  const liveTitle =
    `${kind.name}: another process defining a live owner's GROUP/EVENT elsewhere is refused; ` +
    'the owner keeps its line and its events';
  test(liveTitle, { skip }, async () => {
    assertKernelUsable();
    const name = `relh_${kind.name}/x`;
    const initial = probeFileText(kind.file);
    const [a, b] = (await pool.takeMany(2)) as [ProbeOwner, ProbeOwner];
    try {
      assert.deepEqual(await a.open({ x: `p:${name} ${kind.site(0)}` }), { ok: true });
      await a.start();
      assert.equal(eventLines(kind.file, name).length, 1, 'A created one probe point');
      const withA = probeFileText(kind.file);

      const attempt = await b.open({ x: `p:${name} ${kind.site(1)}` });
      assertKernelUsable();
      const shared = await parkIfShared(kind, name, [a, b]);
      if (shared) assert.fail(`B's definition reached the kernel: ${name} now has ${shared.join(' | ')}`);
      assertRefused(attempt.ok ? undefined : attempt.error, name, { pid: a.pid });
      assert.equal(probeFileText(kind.file), withA, `B wrote nothing: ${kind.file} is byte-identical (A's line too)`);

      const report = await kind.hitSite0(HITS);
      const counts = await a.drain();
      const seen = JSON.stringify(counts);
      assert.equal(counts.x?.[report.pid], HITS, `A counted every hit made after B's attempt: ${seen}`);
      assert.deepEqual(await a.close(), { ok: true }, 'A closes cleanly');
      assertKernelUsable();
      assert.equal(probeFileText(kind.file), initial, 'nothing is left in the probe file');
    } finally {
      await pool.give(a, b);
    }
  });

  const raceTitle =
    `${kind.name}: two processes racing to create one new name: exactly one wins, ` + `${RACE_ROUNDS} rounds`;
  test(raceTitle, { skip }, async (t) => {
    assertKernelUsable();
    const racers = await pool.takeMany(2);
    const barriers = mkdtempSync(join(tmpdir(), 'perf-bridge-race-'));
    const wins = [0, 0];
    try {
      for (let round = 0; round < RACE_ROUNDS; round++) {
        const name = `race_${kind.name}/r${round}`;
        const barrier = join(barriers, `round-${round}`);
        // Both wait at the barrier, then call openSession at once. Distinct sites: the kernel itself
        // refuses a second identical probe point, which would hide a missing lock.
        const runs = racers.map((racer, i) => {
          return racer.openAtBarrier({ race: `p:${name} ${kind.site(i as 0 | 1)}` }, barrier);
        });
        await Promise.all(runs.map((run) => run.armed));
        writeFileSync(barrier, '');
        const outcomes = await Promise.all(runs.map((run) => run.outcome));
        assertKernelUsable();
        const lines = eventLines(kind.file, name); // both racers alive, the winner's session open
        const winners = racers.filter((_, i) => outcomes[i]!.ok);
        const shown = outcomes.map(({ window, ...rest }) => ({ ...rest, ms: Number(window[1] - window[0]) / 1e6 }));
        const state =
          `round ${round}: ${winners.length} winner(s), line(s) [${lines.join(' | ')}], ` +
          `outcomes ${JSON.stringify(shown)}`;
        if (await parkIfShared(kind, name, racers)) assert.fail(`the kernel took both definitions; ${state}`);
        // A round raced only if each openSession began before the other one returned.
        const [first, second] = outcomes as [BarrierOutcome, BarrierOutcome];
        const raced = first.window[0] < second.window[1] && second.window[0] < first.window[1];
        assert.ok(raced, `both racers were inside openSession at once; ${state}`);
        assert.equal(winners.length, 1, `exactly one racer wins; ${state}`);
        assert.equal(lines.length, 1, `exactly one line exists while the winner lives; ${state}`);
        const winner = winners[0]!;
        const loser = outcomes[racers.findIndex((racer) => racer !== winner)]!;
        assertRefused(loser.ok ? undefined : loser.error, name, { pid: winner.pid });

        assert.deepEqual(await winner.close(), { ok: true }, `round ${round}: the winner closes cleanly`);
        assertKernelUsable();
        assert.deepEqual(eventLines(kind.file, name), [], `round ${round}: nothing remains after the winner closed`);
        wins[racers.indexOf(winner)]!++;
      }
      t.diagnostic(`rounds won by each racer: ${wins.join(' / ')}`);
    } finally {
      rmSync(barriers, { recursive: true, force: true });
      await pool.give(...racers);
    }
  });

  const sweepTitle =
    `${kind.name}: the sweep after a SIGKILL removes exactly the dead owner's probes: not ${KEEP}, ` +
    'nor its own event once a foreign point joined it';
  test(sweepTitle, { skip }, () =>
    withForeignKeep(kind, async (keep) => {
      const owner = await pool.take();
      const named = `killed_${kind.name}/named`;
      const claimed = 'mine/claimed';
      let claimedLines: string[] = [];
      try {
        const site = kind.site(0);
        const probes = { own: `p ${site}`, named: `p:${named} ${site}`, claimed: `p:${claimed} ${site}` };
        assert.deepEqual(await owner.open(probes), { ok: true });
        const own = ourProbeLines(`perfbridge_${owner.pid}_`);
        assert.equal(own.length, 1, 'the owner created a probe in a group of its own');
        const ownName = /^[a-z]\d*:(\S+)/.exec(own[0]!)![1]!;
        await owner.kill('SIGKILL'); // its registry record keeps claiming all three
        // Its perf fds closed with it, so another point on its event cannot oops anything on close.
        writeLikeAShell(kind.file, `p:${claimed} ${kind.rawSite(1)}`);
        claimedLines = eventLines(kind.file, claimed);
        assert.equal(claimedLines.length, 2, `the kernel appended the foreign point to ${claimed}`);

        const swept = cleanup();
        const expected = [ownName, named].map((probe) => probe.replace('/', ':')).sort();
        assert.deepEqual(swept.removed.sort(), expected, "cleanup() removed exactly the dead owner's own probes");
        assert.deepEqual(ourProbeLines(`perfbridge_${owner.pid}_`), []);
        assert.deepEqual(eventLines(kind.file, named), []);
        assert.deepEqual(eventLines(kind.file, KEEP), [keep], `${KEEP} is byte-identical after the sweep`);
        assert.deepEqual(eventLines(kind.file, claimed), claimedLines, `both points of ${claimed} are byte-identical`);
      } finally {
        await owner.end();
        // One command removes both points; the test added one of them, so it removes the event.
        if (claimedLines.length > 0 && !kernelHasOopsed() && eventLines(kind.file, claimed).length > 0) {
          writeLikeAShell(kind.file, `-:${claimed}`);
        }
      }
    }),
  );
}

test('the kernel logged no BUG, Oops or WARNING while these tests ran', { skip: VM_ONLY }, () => {
  assert.deepEqual(kernelProblemsSince(logMark), []);
});
