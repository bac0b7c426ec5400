/**
 * Smoke test of the kernel-VM runner itself: proves the tests really run in
 * the intended guest kernel, with the kprobe interfaces the probe tests need.
 * Outside a VM (the host suite also picks this file up) every test skips.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';

const label = process.env.PERF_BRIDGE_VM_KERNEL;
const skip = label
  ? false
  : 'not in a kernel VM (PERF_BRIDGE_VM_KERNEL unset); run it with .test-build/test/kernel/run.js';
const KPROBE_EVENTS = '/sys/kernel/tracing/kprobe_events';

test('the guest runs the kernel named by its label', { skip }, () => {
  const release = execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();
  // "6.1" must not accept "6.12.x": the label has to end at a version separator.
  const escaped = label!.replace(/[.]/g, '\\.');
  assert.match(release, new RegExp(`^${escaped}[.-]`));
});

test('tracefs offers kprobe_events', { skip }, () => {
  assert.ok(existsSync(KPROBE_EVENTS), `${KPROBE_EVENTS} is missing`);
});

test('the kprobe PMU is registered', { skip }, () => {
  assert.ok(existsSync('/sys/bus/event_source/devices/kprobe'), 'no kprobe event source');
});

test('a kprobe can be defined and removed', { skip }, () => {
  // Appending (">>" semantics) leaves any other probes alone.
  const name = `perf_bridge_smoke_${process.pid}`;
  writeFileSync(KPROBE_EVENTS, `p:${name} vfs_read\n`, { flag: 'a' });
  try {
    assert.match(readFileSync(KPROBE_EVENTS, 'utf8'), new RegExp(`:kprobes/${name} vfs_read`));
  } finally {
    writeFileSync(KPROBE_EVENTS, `-:${name}\n`, { flag: 'a' });
  }
  assert.doesNotMatch(readFileSync(KPROBE_EVENTS, 'utf8'), new RegExp(name));
});
