/**
 * `perf-bridge probes`: the kprobes and uprobes defined now, each with its owner — a perf-bridge
 * process from the ownership registry (running or not), or another tool (`foreign`) — read from
 * the probe files without changing them. `--cleanup` runs the library's sweep, which removes only
 * probes that dead owners recorded.
 */

import { RegistryError } from '../errors.js';
import { OWNER_GROUP_PREFIX, type RegistryScan, scanRegistry } from '../probes/ownership.js';
import { registryDir } from '../probes/registry-dir.js';
import { type SweepResult, sweepDeadOwners } from '../probes/sweep.js';
import { type ProbeEventsFile, listProbes } from '../tracefs/probe-files.js';

/** Who a probe belongs to. */
export type ProbeOwnership =
  /** Listed in the record of perf-bridge process `pid`, which runs (`alive`) or has ended. */
  | { kind: 'ours'; pid: number; alive: boolean }
  /** A perf-bridge group name that no record here lists (another registry directory, or a torn record): never swept. */
  | { kind: 'unrecorded'; pid: number | undefined }
  /** Another tool's, or the registry could not be read. */
  | { kind: 'foreign' }
  | { kind: 'unknown' };

/** One probe line of a probe file, with its owner. */
export interface LiveProbe {
  file: Extract<ProbeEventsFile, 'kprobe_events' | 'uprobe_events'>;
  group: string;
  event: string;
  /** The line as tracefs lists it. */
  line: string;
  owner: ProbeOwnership;
}

const PROBE_FILES = ['uprobe_events', 'kprobe_events'] as const;
const OWNER_GROUP = new RegExp(`^${OWNER_GROUP_PREFIX}_(\\d+)_`);

function ownerOf(scan: RegistryScan | undefined, file: string, group: string, event: string): ProbeOwnership {
  if (scan === undefined) return { kind: 'unknown' };
  const lists = (record: RegistryScan['live'][number]) =>
    record.probes.some((probe) => probe.file === file && probe.group === group && probe.event === event);
  const live = scan.live.find(lists);
  if (live) return { kind: 'ours', pid: live.pid, alive: true };
  const dead = scan.dead.find(({ record }) => lists(record));
  if (dead) return { kind: 'ours', pid: dead.record.pid, alive: false };
  const named = OWNER_GROUP.exec(group);
  if (named) return { kind: 'unrecorded', pid: Number(named[1]) };
  return { kind: 'foreign' };
}

/** The probes defined now, with owners from `scan` (undefined: owners unknown). */
export function listLiveProbes(root: string, scan: RegistryScan | undefined): LiveProbe[] {
  return PROBE_FILES.flatMap((file) =>
    listProbes(root, file).map(({ group, event, line }) => ({
      file,
      group,
      event,
      line,
      owner: ownerOf(scan, file, group, event),
    })),
  );
}

function describeOwner(owner: ProbeOwnership): string {
  switch (owner.kind) {
    case 'ours':
      return `pid ${owner.pid} ${owner.alive ? 'running' : 'dead'}`;
    case 'unrecorded':
      return `pid ${owner.pid ?? '?'} unrecorded`;
    case 'foreign':
      return 'foreign';
    case 'unknown':
      return 'unknown';
  }
}

/** The probes as a table (PROBE, OWNER, DEFINITION) and a line of totals. */
export function probeTable(probes: readonly LiveProbe[]): string {
  if (probes.length === 0) return 'no kprobes or uprobes are defined\n';
  const rows = probes.map((probe) => [
    `${probe.group}:${probe.event}`,
    describeOwner(probe.owner),
    probe.line.slice(probe.line.indexOf(' ') + 1),
  ]);
  const header = ['PROBE', 'OWNER', 'DEFINITION'];
  const widths = [0, 1].map((column) => Math.max(header[column]!.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => `${cells[0]!.padEnd(widths[0]!)}  ${cells[1]!.padEnd(widths[1]!)}  ${cells[2]!}`;
  const count = (test: (owner: ProbeOwnership) => boolean) => probes.filter((probe) => test(probe.owner)).length;
  const dead = count((owner) => owner.kind === 'ours' && !owner.alive);
  const totals =
    `${probes.length} probes: ${count((owner) => owner.kind === 'ours' && owner.alive)} of running perf-bridge ` +
    `processes, ${dead} of dead ones, ${count((owner) => owner.kind === 'foreign')} foreign` +
    (dead > 0 ? '; `perf-bridge probes --cleanup` removes those of dead ones' : '');
  return `${[header, ...rows].map(line).join('\n')}\n${totals}\n`;
}

/** What a sweep did, a line per probe (and per record it could not trust). */
export function sweepReport(result: SweepResult): string {
  const lines = [
    ...result.removed.map((probe) => `removed ${probe}`),
    ...result.failed.map(({ probe, error }) => {
      const reason = error instanceof Error ? error.message : String(error);
      return `kept ${probe}: ${reason} (tried again by the next clean-up)`;
    }),
    ...result.shared.map((probe) => `left ${probe}: another tool added probe points to it`),
    ...result.skipped.map(({ path, reason }) => `skipped record ${path}: ${reason}`),
  ];
  const total = `removed ${result.removed.length} probe${result.removed.length === 1 ? '' : 's'} of dead perf-bridge processes`;
  return `${[...lines, total].join('\n')}\n`;
}

/** The result of `probes`: its output, and 1 when a dead owner's probe could not be removed. */
export interface ProbesCommandResult {
  output: string;
  /** A note for stderr (the owners could not be told). */
  warning: string | undefined;
  status: number;
}

/** Runs `probes` (`cleanup`: `probes --cleanup`) on the tracefs at `root`. */
export function runProbesCommand(root: string, cleanup: boolean): ProbesCommandResult {
  if (cleanup) {
    const result = sweepDeadOwners(root);
    return { output: sweepReport(result), warning: undefined, status: result.failed.length > 0 ? 1 : 0 };
  }
  let scan: RegistryScan | undefined;
  let warning: string | undefined;
  try {
    scan = scanRegistry(registryDir());
  } catch (error) {
    if (!(error instanceof RegistryError)) throw error;
    warning = `perf-bridge: owners unknown: ${error.message}\n`;
  }
  return { output: probeTable(listLiveProbes(root, scan)), warning, status: 0 };
}
