import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

import { parseMountInfo, tracefsFromMounts, tracefsRoot } from '../../src/tracefs/mount.js';

// Lines in the kernel's mountinfo format (proc(5)); the path with \040 is how a space is escaped.
const MOUNTINFO = [
  '22 27 0:20 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw',
  '35 22 0:12 / /sys/kernel/debug rw,nosuid,nodev,noexec,relatime shared:14 - debugfs debugfs rw',
  '99 27 0:50 / /mnt/my\\040traces rw,relatime shared:40 - tracefs nodev rw',
].join('\n');

test('mountinfo: mount points are unescaped and fs types read after the separator', () => {
  const entries = parseMountInfo(MOUNTINFO);
  assert.deepEqual(entries, [
    { mountPoint: '/sys', fsType: 'sysfs' },
    { mountPoint: '/sys/kernel/debug', fsType: 'debugfs' },
    { mountPoint: '/mnt/my traces', fsType: 'tracefs' },
  ]);
});

test('tracefs is preferred; debugfs/tracing is the fallback; none gives undefined', () => {
  const entries = parseMountInfo(MOUNTINFO);
  assert.equal(tracefsFromMounts(entries), '/mnt/my traces');
  const debugOnly = entries.filter((e) => e.fsType !== 'tracefs');
  assert.equal(
    tracefsFromMounts(debugOnly, (path) => path === '/sys/kernel/debug/tracing/events'),
    '/sys/kernel/debug/tracing',
  );
  assert.equal(
    tracefsFromMounts(debugOnly, () => false),
    undefined,
  );
});

test("this machine's tracefs is found (and mounted when missing, as root)", () => {
  const root = tracefsRoot();
  assert.ok(existsSync(`${root}/events`), root);
  const mounted = parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8'));
  assert.ok(mounted.some((entry) => entry.mountPoint === root || root.startsWith(`${entry.mountPoint}/`)));
});
