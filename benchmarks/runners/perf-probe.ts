/**
 * The uprobe perf record captures through: created with `perf probe` in a group named after this
 * process (pbbench_<pid>), so a later run can tell leftovers of a dead bench from live ones, and
 * deleted again with `perf probe -d`. bpftrace does not need it (it makes its own uprobe through
 * the perf_uprobe PMU, which vanishes with its fd).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { tracefsRoot } from '../../src/tracefs/mount.js';
import { UPROBE_FETCHARGS, UPROBE_LABEL, UPROBE_SYMBOL } from '../scenarios.js';

const GROUP_PREFIX = 'pbbench_';

function runPerfProbe(args: string[]): void {
  execFileSync('perf', ['probe', '-q', ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Groups of uprobes this benchmark created, with the pid of the bench that made each. */
function benchGroups(): Map<string, number> {
  const groups = new Map<string, number>();
  let text = '';
  try {
    text = readFileSync(join(tracefsRoot(), 'uprobe_events'), 'utf8');
  } catch {
    return groups;
  }
  for (const match of text.matchAll(/^[pr]:(pbbench_(\d+))\//gm)) groups.set(match[1]!, Number(match[2]));
  return groups;
}

/** Deletes uprobes left by bench processes that died before they could clean up. */
export function sweepStaleProbes(): void {
  for (const [group, pid] of benchGroups()) {
    if (pid !== process.pid && !isAlive(pid)) runPerfProbe(['-d', `${group}:*`]);
  }
}

/** A uprobe on the generator's pb_target, for perf record. */
export class PerfUprobe {
  /** `group:event` to give perf record -e. */
  readonly event: string;
  private removed = false;
  private readonly onExit = () => {
    try {
      this.remove();
    } catch {
      // perf may still hold it while the bench dies; the next bench's sweep deletes it
    }
  };

  constructor(loadgenPath: string) {
    const group = `${GROUP_PREFIX}${process.pid}`;
    this.event = `${group}:${UPROBE_LABEL}`;
    runPerfProbe(['-x', loadgenPath, `${this.event}=${UPROBE_SYMBOL} ${UPROBE_FETCHARGS}`]);
    process.once('exit', this.onExit);
  }

  /** Deletes the probe; idempotent. */
  remove(): void {
    if (this.removed) return;
    this.removed = true;
    process.off('exit', this.onExit);
    runPerfProbe(['-d', this.event]);
  }
}
