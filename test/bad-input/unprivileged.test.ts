/**
 * Without root, tracefs cannot be read: every call that needs it must say that root (or
 * CAP_SYS_ADMIN) is needed, as a KernelError with the errno's code. The calls run in a child
 * process as user nobody (setuid through spawnSync), so this test needs root to start it.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import type { UnprivilegedOutcome } from './unprivileged-child.js';
import { buildProgram } from '../helpers/programs.js';
import { resolveUprobeOffset } from '../../src/elf/resolve.js';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'unprivileged-child.js');

function idOf(flag: '-u' | '-g', user: string): number {
  return Number(execFileSync('id', [flag, user], { encoding: 'utf8' }).trim());
}

test('without root, every call that needs tracefs says root (or CAP_SYS_ADMIN) is needed', () => {
  const target = buildProgram('test/fixtures/programs/elf_target.c');
  const probePoint = `${target}:0x${resolveUprobeOffset(target, 'pb_add').offset.toString(16)}`;
  // The child must find its registry as an unprivileged user would, not in this test's directory.
  const env = { ...process.env };
  delete env.PERF_BRIDGE_REGISTRY_DIR;
  const child = spawnSync(process.execPath, [CHILD, probePoint], {
    uid: idOf('-u', 'nobody'),
    gid: idOf('-g', 'nobody'),
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(child.status, 0, child.stderr);
  const outcomes = JSON.parse(child.stdout) as UnprivilegedOutcome[];
  assert.deepEqual(
    outcomes.map((o) => o.call),
    ['tracefsRoot', 'listEvents', 'readEventId', 'openSessionOnEvent', 'openSessionOnUprobe'],
  );
  for (const outcome of outcomes) {
    assert.equal(outcome.className, 'KernelError', `${outcome.call}: ${outcome.message}`);
    assert.ok(outcome.isPerfBridgeError, outcome.call);
    assert.equal(outcome.code, 'EACCES', `${outcome.call}: ${outcome.message}`);
    assert.match(outcome.hint ?? '', /root \(or CAP_SYS_ADMIN\)/, `${outcome.call}: ${outcome.message}`);
  }
});
