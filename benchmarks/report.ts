/** The bench's output: a table on stdout and the full JSON under benchmarks/results/. */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { DecodeFigure } from './decode-micro.js';
import type { MachineInfo } from './machine.js';
import type { PeerStatus, PeerTool } from './peers.js';
import type { RunResult, RunnerId } from './runners/types.js';
import type { Scenario } from './scenarios.js';
import type { CombinedFigures, Range } from './repeats.js';
import { CPU_FACTOR, DECODE_TARGETS, P99_LIMIT_MS, type TargetCheck, findCheck, findDecodeCheck } from './targets.js';
import { SAME_RING_LABEL } from './runners/perf-record.js';
import type { ProducerReport } from './workload.js';

/** Everything measured for one scenario. */
export interface ScenarioResult {
  scenario: Scenario;
  /** Untraced runs of the same load; `rate` is their median events per second. */
  untraced: { runs: ProducerReport[]; rate: number };
  /** The figures shown per runner: medians with their ranges when repeated (repeats.ts). */
  runs: CombinedFigures[];
  /** Every run, when --repeat ran each cell more than once. */
  allRuns: RunResult[];
  /** Runners that did not run, and why. */
  skipped: { runner: RunnerId; reason: string }[];
  /** Runners that failed, with the error. */
  failed: { runner: RunnerId; error: string }[];
  checks: TargetCheck[];
}

/** The whole bench result, as written to JSON. */
export interface BenchReport {
  startedAt: string;
  durationSeconds: number;
  quick: boolean;
  /** How many times each runner ran each scenario; figures are medians over the runs. */
  repeat: number;
  machine: MachineInfo;
  peers: Record<PeerTool, PeerStatus>;
  scenarios: ScenarioResult[];
  decode: DecodeFigure[];
  /** Why the decode microbenchmarks did not complete; undefined when they did (or did not run). */
  decodeError: string | undefined;
  decodeChecks: TargetCheck[];
  loadAverageAtEnd: number[];
  targets: { passed: number; missed: number; misses: TargetCheck[] };
}

const LABELS: Record<RunnerId, string> = {
  'pb-object': 'pb object',
  'pb-object-filter': 'pb object + filter',
  'pb-columnar': 'pb columnar',
  'perf-record': 'perf record',
  'perf-record-filter': 'perf record + filter',
  'perf-record-2m': SAME_RING_LABEL,
  bpftrace: 'bpftrace',
  'cli-jsonl': 'pb cli jsonl',
  'pb-duckdb': 'pb cli duckdb',
  'pb-nats': 'pb cli nats',
};

/** ✓ for a met target; for a missed one ✗ and the bound it needed, as `show` writes numbers. */
function mark(check: TargetCheck | undefined, show: (n: number) => string = (n) => fixed(n, 3)): string {
  if (check === undefined) return '';
  const relation = check.relation === '>=' ? '≥' : check.relation === '<=' ? '≤' : '=';
  return check.pass ? ' ✓' : ` ✗ (${relation} ${show(check.limit)})`;
}

/** A figure with its min–max over repeated runs, when there were several. */
function withRange(value: string, span: Range | undefined, digits: number): string {
  return span === undefined ? value : `${value} (${fixed(span.min, digits)}–${fixed(span.max, digits)})`;
}

function int(n: number | null | undefined): string {
  return n === null || n === undefined || !Number.isFinite(n) ? '-' : Math.round(n).toLocaleString('en-US');
}

function fixed(n: number | null | undefined, digits: number): string {
  return n === null || n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits);
}

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** The characters of `text` as a terminal shows them (✓, ≥, − are one each), for aligning columns. */
function displayWidth(text: string): number {
  return [...graphemes.segment(text)].length;
}

/** Lays out rows as columns, the first left-aligned, the others right-aligned. */
function columns(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => displayWidth(row[i] ?? ''))));
  return rows
    .map((row) =>
      row
        .map((cell, i) => {
          const padding = ' '.repeat(widths[i]! - displayWidth(cell));
          return i === 0 ? cell + padding : padding + cell;
        })
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The table of a scenario with a selected generator: filtered and unfiltered readers side by side. */
function filterRows(result: ScenarioResult): string[][] {
  const rows: string[][] = [
    [
      'runner',
      'delivered',
      'expected',
      'lost(kernel)',
      'lost(gap)',
      'producer M/s',
      'slowdown',
      'CPU s',
      'CPU s/M gen',
      'CPU s/M ev',
      'p99 ms',
      'peak RSS MB',
    ],
  ];
  for (const run of result.runs) {
    const deliveredMarks =
      mark(findCheck(result.checks, 'delivered', run), int) + mark(findCheck(result.checks, 'filtered', run), int);
    const lostMarks =
      mark(findCheck(result.checks, 'lost', run), int) + mark(findCheck(result.checks, 'zero-loss', run), int);
    rows.push([
      LABELS[run.runner],
      int(run.delivered) + deliveredMarks,
      int(run.expected),
      int(run.lostKernel),
      int(run.lostGap) + lostMarks,
      fixed(run.producerRate / 1e6, 3),
      `${fixed(run.slowdown, 2)}x`,
      fixed(run.readerCpuSeconds, 3),
      fixed(run.cpuPerMillionProduced, 3),
      withRange(fixed(run.cpuPerMillion, 3), run.ranges?.cpuPerMillion, 3) + mark(findCheck(result.checks, 'cpu', run)),
      withRange(fixed(run.latency?.p99Ms, 2), run.ranges?.p99Ms, 1) +
        mark(findCheck(result.checks, 'p99', run), (n) => fixed(n, 0)),
      fixed(run.peakRssKb === null ? null : run.peakRssKb / 1024, 1),
    ]);
  }
  return rows;
}

/** The heading of a scenario: what the load is and how fast it runs untraced. */
function scenarioHeader(result: ScenarioResult): string[] {
  const { scenario } = result;
  const untraced = `untraced producer ${fixed(result.untraced.rate / 1e6, 2)} M/s`;
  if (scenario.selected === undefined)
    return [`${scenario.id}: ${scenario.title}`, `  ${int(scenario.count)} events; ${untraced}`];
  const split = `${int(scenario.count - scenario.selected)} + ${int(scenario.selected)} from two generators`;
  return [
    `${scenario.id}: ${scenario.title}`,
    `  ${int(scenario.count)} events (${split}); ${untraced}; CPU s/M gen: per million generated events`,
  ];
}

function scenarioBlock(result: ScenarioResult): string {
  const header = scenarioHeader(result);
  const rows = result.scenario.selected === undefined ? captureRows(result) : filterRows(result);
  const lines = [...header, columns(rows).replace(/^/gm, '  ')];
  for (const run of result.runs) for (const note of run.notes) lines.push(`  note (${LABELS[run.runner]}): ${note}`);
  for (const skip of result.skipped) lines.push(`  skipped ${LABELS[skip.runner]}: ${skip.reason}`);
  for (const failure of result.failed) lines.push(`  FAILED ${LABELS[failure.runner]}: ${failure.error}`);
  return lines.join('\n');
}

/** The table of an ordinary scenario. */
function captureRows(result: ScenarioResult): string[][] {
  const rows: string[][] = [
    [
      'runner',
      'delivered',
      'lost(kernel)',
      'lost(gap)',
      'producer M/s',
      'slowdown',
      'CPU s/M ev',
      'p50 ms',
      'p99 ms',
      'peak RSS MB',
    ],
  ];
  for (const run of result.runs) {
    const lostMarks =
      mark(findCheck(result.checks, 'lost', run), int) + mark(findCheck(result.checks, 'zero-loss', run), int);
    rows.push([
      LABELS[run.runner],
      int(run.delivered) + mark(findCheck(result.checks, 'delivered', run), int),
      int(run.lostKernel),
      int(run.lostGap) + lostMarks,
      fixed(run.producerRate / 1e6, 3),
      `${fixed(run.slowdown, 2)}x`,
      withRange(fixed(run.cpuPerMillion, 3), run.ranges?.cpuPerMillion, 3) + mark(findCheck(result.checks, 'cpu', run)),
      withRange(fixed(run.latency?.p50Ms, 2), run.ranges?.p50Ms, 1),
      withRange(fixed(run.latency?.p99Ms, 2), run.ranges?.p99Ms, 1) +
        mark(findCheck(result.checks, 'p99', run), (n) => fixed(n, 0)),
      fixed(run.peakRssKb === null ? null : run.peakRssKb / 1024, 1),
    ]);
  }
  return rows;
}

function decodeBlock(figures: readonly DecodeFigure[], checks: readonly TargetCheck[]): string {
  const rows: string[][] = [['event', 'mode', 'events', 'batches', 'M events/s', 'target', 'M ev/CPU-s']];
  for (const figure of figures) {
    // The check of this row's own event and mode: an event without a target shows none.
    const check = findDecodeCheck(checks, figure);
    const target = check === undefined ? '' : `≥ ${fixed(check.limit / 1e6, 0)}${check.pass ? ' ✓' : ' ✗'}`;
    rows.push([
      figure.event,
      figure.mode,
      int(figure.events),
      int(figure.batches),
      fixed(figure.eventsPerSecond / 1e6, 2),
      target,
      fixed(figure.eventsPerCpuSecond / 1e6, 2),
    ]);
  }
  return [
    'decode microbenchmark (recorded batches, one pinned core, median pass)',
    columns(rows).replace(/^/gm, '  '),
  ].join('\n');
}

function describe(check: TargetCheck): string {
  const where = [check.scenario, check.event, check.runner].filter(Boolean).join(' / ');
  const show = (n: number) =>
    check.target === 'decode' ? `${fixed(n / 1e6, 2)} M/s` : Number.isInteger(n) ? int(n) : fixed(n, 3);
  return `${where}: ${check.target} ${show(check.value)}, needs ${check.relation} ${show(check.limit)}`;
}

/** What ran where and when: the machine, the versions, the load, and how the marks read. */
function headerLines(report: BenchReport): string[] {
  const m = report.machine;
  const commit = m.commit ? ` (${m.commit})` : '';
  const quick = report.quick ? ' (--quick)' : '';
  const runs =
    report.repeat === 1
      ? 'one run per cell'
      : `${report.repeat} runs per cell: medians (min–max); delivered and lost from the worst run`;
  const load = `load average at start ${m.loadAverageAtStart.join(' ')}, at end ${report.loadAverageAtEnd.join(' ')}`;
  return [
    `perf-bridge ${m.perfBridge}${commit} capture benchmark${quick}, ${report.startedAt}, ` +
      `${fixed(report.durationSeconds, 1)} s`,
    `${m.cpuModel}, ${m.cores} cores, Linux ${m.kernel}, node ${m.node}, ` +
      `${m.perf ?? 'perf: -'}, ${m.bpftrace ?? 'bpftrace: -'}`,
    `${load}; producer on CPU 1, readers on CPU 0; ${runs}`,
    '',
    'marks (perf-bridge rows): delivered ≥ perf record; lost(gap) ≤ perf record, then = 0; ' +
      `CPU per event ≤ perf record (columnar) / ≤ ${CPU_FACTOR['pb-object']}x (object); p99 ≤ ${P99_LIMIT_MS} ms` +
      (report.scenarios.some((s) => s.scenario.selected !== undefined) ? '; + filter: delivered = expected' : '') +
      '; cli jsonl, duckdb, nats: delivered ≥ perf record',
    'lost(kernel): what the tool says the kernel dropped; lost(gap): expected − delivered; CPU: reader user+sys ' +
      `from gate release to last event, per million delivered; ${SAME_RING_LABEL} is informational ` +
      "(perf-bridge's default ring size here)",
    '',
  ];
}

/** The table printed at the end of a bench run. */
export function renderReport(report: BenchReport): string {
  const lines = headerLines(report);
  for (const peer of Object.keys(report.peers) as PeerTool[]) {
    if (report.peers[peer].skipped) lines.push(`${peer} skipped: ${report.peers[peer].skipped}`);
  }
  for (const scenario of report.scenarios) lines.push(scenarioBlock(scenario), '');
  if (report.decodeError) lines.push(`decode microbenchmark FAILED: ${report.decodeError}`, '');
  if (report.decode.length > 0) {
    lines.push(decodeBlock(report.decode, report.decodeChecks));
    for (const [event, target] of Object.entries(DECODE_TARGETS)) {
      lines.push(`  targets on ${event}: object ≥ ${target.object / 1e6} M/s, columnar ≥ ${target.columnar / 1e6} M/s`);
    }
    lines.push('');
  }
  const { passed, missed, misses } = report.targets;
  lines.push(`targets: ${passed} met, ${missed} missed`);
  for (const miss of misses) lines.push(`  missed ${describe(miss)}`);
  return lines.join('\n');
}

/** Writes the JSON to results/<timestamp>.json and results/latest.json (each atomically). */
export function writeReport(dir: string, report: BenchReport): string {
  mkdirSync(dir, { recursive: true });
  const text = `${JSON.stringify(report, null, 2)}\n`;
  const name = `${report.startedAt.replace(/[:.]/g, '-')}.json`;
  for (const file of [name, 'latest.json']) {
    const path = join(dir, file);
    writeFileSync(`${path}.tmp`, text);
    renameSync(`${path}.tmp`, path);
  }
  return join(dir, name);
}
