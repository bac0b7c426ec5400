/**
 * What the probe-name collision tests (test/probes/ownership-conflicts.test.ts) use: uprobes and
 * kprobes, each with two probe sites and a workload that hits site 0 an exact number of times;
 * reading one event's lines; another tool's shell-style writes; and what a refusal must look like.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';

import { openSession, resolveUprobeOffset, type Session, tracefsRoot } from '../../src/index.js';
import { type OwnerError, RING_PAGES, describeError } from './owner-protocol.js';
import { exited } from './processes.js';
import { type LoadgenReport, loadgen, parseLoadgenReport } from './programs.js';
import { probeLines } from './tracefs-state.js';

/**
 * Skip reason outside the kernel VMs (the guest sets PERF_BRIDGE_VM_KERNEL). These tests create real
 * name collisions, and one that perf-bridge lets through can oops the kernel (6.12) and leave tracefs
 * hung: never on a host.
 */
export const VM_ONLY: false | string = process.env.PERF_BRIDGE_VM_KERNEL
  ? false
  : 'name collisions can oops the kernel: runs in the kernel VMs only';

/** A probe type as the collision tests use it. */
export interface ProbeKind {
  /** `uprobe` or `kprobe`: used in test names and in group names. */
  name: 'uprobe' | 'kprobe';
  file: 'uprobe_events' | 'kprobe_events';
  /** False, or why the running kernel cannot run this kind. */
  skip: false | string;
  /** Probe site `i` (the text after `p:GROUP/EVENT `) as perf-bridge takes it; sites 0 and 1 differ. */
  site(i: 0 | 1): string;
  /** Site `i` as a tool writing tracefs directly spells it (uprobes: `PATH:0xOFFSET`). */
  rawSite(i: 0 | 1): string;
  /** Makes exactly `count` hits of site 0 from one new process (the load generator). */
  hitSite0(count: number): Promise<LoadgenReport>;
}

const UPROBE_SYMBOLS = ['pb_target', 'pb_nested'] as const;
/** getppid is what `loadgen getppid` calls; getpid is a second, distinct probe address. */
const KPROBE_SYMBOLS = ['__x64_sys_getppid', '__x64_sys_getpid'] as const;

async function runLoadgen(mode: 'call' | 'getppid', count: number): Promise<LoadgenReport> {
  const report = parseLoadgenReport(await exited(spawn(loadgen(), [mode, String(count)])));
  assert.equal(report.produced, count, 'the load generator made every call');
  return report;
}

/** Uprobes on the load generator, and kprobes on the syscalls it makes. */
export const PROBE_KINDS: readonly ProbeKind[] = [
  {
    name: 'uprobe',
    file: 'uprobe_events',
    skip: !existsSync('/sys/kernel/tracing/uprobe_events') && 'kernel has no uprobe_events',
    site: (i) => `${loadgen()}:${UPROBE_SYMBOLS[i]}`,
    rawSite: (i) => `${loadgen()}:0x${resolveUprobeOffset(loadgen(), UPROBE_SYMBOLS[i]).offset.toString(16)}`,
    hitSite0: (count) => runLoadgen('call', count),
  },
  {
    name: 'kprobe',
    file: 'kprobe_events',
    skip: !existsSync('/sys/kernel/tracing/kprobe_events') && 'kernel has no kprobe_events',
    site: (i) => KPROBE_SYMBOLS[i],
    rawSite: (i) => KPROBE_SYMBOLS[i],
    hitSite0: (count) => runLoadgen('getppid', count),
  },
];

/** The whole text of a probe file, for byte-for-byte comparisons. */
export function probeFileText(file: ProbeKind['file']): string {
  return readFileSync(`${tracefsRoot()}/${file}`, 'utf8');
}

/** The lines of one event (`GROUP/EVENT`) in a probe file: one per probe point the kernel holds for it. */
export function eventLines(file: ProbeKind['file'], name: string): string[] {
  // "p:GROUP/EVENT SITE ARGS…", "r16:GROUP/EVENT …"
  return probeLines(file).filter((line) => line.split(' ', 1)[0]!.replace(/^[^:]*:/, '') === name);
}

/** Writes one command to a probe file the way `echo LINE >> FILE` does: as another tool would. */
export function writeLikeAShell(file: ProbeKind['file'], line: string): void {
  appendFileSync(`${tracefsRoot()}/${file}`, `${line}\n`);
}

/** openSession on `probes` in this process, with a refusal returned rather than thrown. */
export function tryOpenSession(probes: Record<string, string>): { session?: Session; error?: OwnerError } {
  try {
    return { session: openSession({ probes, ringPages: RING_PAGES }) };
  } catch (error) {
    return { error: describeError(error) };
  }
}

/** Who a refusal must name as the owner: a live perf-bridge pid, nobody, or not checked. */
export type ExpectedOwner = { pid: number } | 'none' | 'unchecked';

/** Asserts that `error` is perf-bridge refusing `probe` as taken: ProbeConflictError, EEXIST, owner, a hint. */
export function assertRefused(error: OwnerError | undefined, probe: string, owner: ExpectedOwner): void {
  assert.ok(error, `${probe} was accepted`);
  assert.equal(error.name, 'ProbeConflictError', `refused as a conflict: ${error.name}: ${error.message}`);
  assert.equal(error.conflict, true, 'instanceof ProbeConflictError');
  assert.equal(error.code, 'EEXIST');
  assert.equal(error.probe, probe);
  if (owner === 'none') assert.equal(error.ownerPid, undefined, 'no perf-bridge process owns it');
  else if (owner !== 'unchecked') assert.equal(error.ownerPid, owner.pid, 'the owner is named');
  assert.ok((error.hint ?? '').length > 0, 'a hint says what to do');
}
