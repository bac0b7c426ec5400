/**
 * Kernel stacks of a kprobe, and what happens when /proc/kallsyms hides its addresses. This
 * machine's kernel has no kprobes and the second test changes kernel.kptr_restrict for a moment:
 * both run in the kernel VMs (test/kernel), and skip here.
 */
import assert from 'node:assert/strict';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import type { TraceEvent } from '../../src/decode/records.js';
import { openSession } from '../../src/session/session.js';
import { tracefsRoot } from '../../src/tracefs/mount.js';

const noKprobes = !existsSync(join(tracefsRoot(), 'kprobe_events')) && 'kernel has no kprobe_events';
const vmOnly = !process.env.PERF_BRIDGE_VM_KERNEL && 'sets kernel.kptr_restrict: runs in the kernel VMs only';
const KPTR_RESTRICT = '/proc/sys/kernel/kptr_restrict';

/**
 * Opens /etc/hostname three times under a kprobe on do_sys_openat2 with kernel stacks; the
 * events of this thread (Node's helper threads open files too).
 */
function openatEvents(): TraceEvent[] {
  const session = openSession({ probes: ['p do_sys_openat2'], stack: 'kernel', pid: process.pid, inherit: false });
  const events: TraceEvent[] = [];
  session.onBatch((batch) => events.push(...batch.filter((event) => event.tid === process.pid)));
  session.start();
  try {
    for (let i = 0; i < 3; i++) closeSync(openSync('/etc/hostname', 'r'));
  } finally {
    session.stop(); // drains the rings
    session.close();
  }
  return events;
}

test(
  'a kprobe on do_sys_openat2: its kernel stack passes through the openat system call entry',
  { skip: noKprobes },
  () => {
    const events = openatEvents();
    assert.ok(events.length >= 3, `${events.length} opens`);
    for (const { stack } of events) {
      assert.ok(stack !== undefined);
      const names = stack.map((frame) => frame.symbol);
      assert.equal(names[0], 'do_sys_openat2', names.join(' '));
      assert.ok(
        names.some((name) => name === '__x64_sys_openat' || name === '__x64_sys_open'),
        names.join(' '),
      );
      assert.ok(names.includes('do_syscall_64'), names.join(' '));
      assert.ok(stack.every((frame) => frame.module === '[kernel]'));
    }
  },
);

test(
  'with kptr_restrict=2, a clear note once and hex frames, nothing thrown',
  { skip: noKprobes || vmOnly },
  async () => {
    const before = readFileSync(KPTR_RESTRICT, 'utf8');
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      writeFileSync(KPTR_RESTRICT, '2');
      const events = openatEvents();
      assert.ok(events.length >= 3);
      for (const { stack } of events) {
        assert.ok(stack !== undefined && stack.length > 0);
        for (const frame of stack) {
          assert.equal(frame.symbol, undefined);
          assert.ok(frame.ip > 0n);
        }
      }
      // process.emitWarning emits on a later tick.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      writeFileSync(KPTR_RESTRICT, before);
      process.off('warning', onWarning);
    }
    const notes = warnings.filter(
      (warning) => (warning as { code?: string }).code === 'PERF_BRIDGE_KERNEL_SYMBOLS_HIDDEN',
    );
    assert.equal(notes.length, 1);
    assert.match(notes[0]!.message, /kptr_restrict/);
  },
);
