/** The soak's results: one JSON line for machines, a short table for people. */

/** What one phase of the soak measured and found. */
export interface PhaseResult {
  name: string;
  /** Cycles completed (fewer than planned when one failed). */
  cycles: number;
  planned: number;
  /** Wall time of each cycle, in ms. */
  cycleMs: number[];
  rss: { start: number; peak: number; end: number };
  /** RSS after each quarter of the cycles: whether growth levels off or keeps going. */
  rssTrend: number[];
  /** Resources before and after the phase (after garbage collection). */
  fds: { before: number; after: number };
  perfMappings: { before: number; after: number };
  probeLines: { before: number; after: number };
  retainedBytes: { before: number; after: number };
  /** What was left behind. */
  leaks: string[];
  /** Cycles that did not behave: an exception, or events missing. */
  failures: string[];
}

const MIB = 1024 * 1024;

/** True when the phase completed every cycle, each saw its events, and nothing was left behind. */
export function phaseOk(phase: PhaseResult): boolean {
  return phase.leaks.length === 0 && phase.failures.length === 0 && phase.cycles === phase.planned;
}

function percentile(sorted: number[], fraction: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))]!;
}

function round(value: number, digits = 2): number {
  return Number(value.toFixed(digits));
}

/** The phase as the JSON line reports it: times in ms, memory in MiB. */
function summary(phase: PhaseResult) {
  const sorted = [...phase.cycleMs].sort((a, b) => a - b);
  const total = sorted.reduce((sum, ms) => sum + ms, 0);
  return {
    name: phase.name,
    cycles: phase.cycles,
    planned: phase.planned,
    msPerCycle: round(sorted.length === 0 ? 0 : total / sorted.length),
    p50Ms: round(percentile(sorted, 0.5)),
    p99Ms: round(percentile(sorted, 0.99)),
    totalSeconds: round(total / 1000, 1),
    rssTrendMiB: phase.rssTrend.map((bytes) => round(bytes / MIB, 1)),
    rssMiB: {
      start: round(phase.rss.start / MIB, 1),
      peak: round(phase.rss.peak / MIB, 1),
      end: round(phase.rss.end / MIB, 1),
    },
    fds: phase.fds,
    perfMappings: phase.perfMappings,
    probeLines: phase.probeLines,
    retainedMiB: {
      before: round(phase.retainedBytes.before / MIB, 1),
      after: round(phase.retainedBytes.after / MIB, 1),
    },
    leaks: phase.leaks,
    failures: phase.failures,
    ok: phaseOk(phase),
  };
}

/** The whole soak as one JSON line. */
export function jsonReport(phases: PhaseResult[], context: Record<string, unknown>): string {
  const summaries = phases.map(summary);
  return JSON.stringify({ soak: 'perf-bridge', ...context, ok: summaries.every((s) => s.ok), phases: summaries });
}

/** The soak as a table, one row per phase, then what went wrong. */
export function tableReport(phases: PhaseResult[]): string {
  const header = [
    'phase',
    'cycles',
    'ms/cycle',
    'p99 ms',
    'RSS MiB start/peak/end',
    'fds',
    'perf maps',
    'probe lines',
    'result',
  ];
  const rows = phases
    .map(summary)
    .map((s) => [
      s.name,
      `${s.cycles}/${s.planned}`,
      s.msPerCycle.toFixed(2),
      s.p99Ms.toFixed(2),
      `${s.rssMiB.start}/${s.rssMiB.peak}/${s.rssMiB.end}`,
      `${s.fds.before} -> ${s.fds.after}`,
      `${s.perfMappings.before} -> ${s.perfMappings.after}`,
      `${s.probeLines.before} -> ${s.probeLines.after}`,
      s.ok ? 'ok' : 'LEAK/FAIL',
    ]);
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  const problems = phases.flatMap((p) => [...p.leaks, ...p.failures].map((problem) => `  ${p.name}: ${problem}`));
  return [line(header), ...rows.map(line), ...problems].join('\n');
}
