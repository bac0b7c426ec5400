/**
 * `npm run soak` (not part of `npm test`: minutes, not seconds). Opens and closes sessions many
 * times — 2,000 tracepoint sessions, 2,000 uprobe sessions (each creating and removing its probe),
 * then 50 sessions open at once — each seeing a few events it must receive exactly. After every
 * phase the process must hold what it held before: fds, perf ring mappings, probe lines, retained
 * memory. Prints one JSON line (stdout) and a table (stderr) with RSS and time per cycle; exits 1
 * when anything leaked or a cycle failed. `--cycles N` and `--sessions N` shorten a trial run.
 *
 * It lives under test/ because it is a pass/fail check built on the test helpers, and its name has
 * no `.test` so the test runners leave it out.
 */
import { spawn } from 'node:child_process';
import { release } from 'node:os';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { parseArgs } from 'node:util';

import { uprobe } from '../../src/probes/builder.js';
import { reg } from '../../src/probes/fetch.js';
import { openSession, type Session } from '../../src/session/session.js';
import { loadgen } from '../helpers/programs.js';
import { exited } from '../helpers/processes.js';
import { jsonReport, phaseOk, tableReport, type PhaseResult } from './report.js';
import { leaksBetween, snapshot } from './resources.js';

const GETPPID = 'syscalls:sys_enter_getppid';
/** Events each session must see per cycle: few, so the cycle measures open and close. */
const EVENTS_PER_CYCLE = 3;
/** Failure messages kept per phase; the count goes on. */
const MAX_FAILURE_MESSAGES = 10;

type Kind = 'tracepoint' | 'uprobe';

/** A session under test, counting the events of the processes this soak generates them in. */
interface Capture {
  kind: Kind;
  /** The session's life-cycle calls (its event types differ by kind and do not matter here). */
  session: Pick<Session, 'stop' | 'close'> & { start(): unknown };
  seen: () => number;
}

const loadgenBinary = loadgen();
/** Load generators this soak started: only their uprobe hits count (others may run loadgen too). */
const ourChildren = new Set<number>();

function openCapture(kind: Kind): Capture {
  let seen = 0;
  if (kind === 'tracepoint') {
    const session = openSession({ events: [GETPPID] });
    session.onBatch((batch) => {
      for (const event of batch) if (event.pid === process.pid) seen++;
    });
    return { kind, session, seen: () => seen };
  }
  const call = uprobe(loadgenBinary, 'pb_target').arg('value', reg('si').as('s64'));
  const session = openSession({ probes: { call } });
  session.onBatch((batch) => {
    for (const event of batch) if (ourChildren.has(event.pid)) seen++;
  });
  return { kind, session, seen: () => seen };
}

/** One getppid() system call: process.ppid asks the kernel on every read. */
function getppid(): number {
  return process.ppid;
}

/** Makes EVENTS_PER_CYCLE events of each kind: getppid() here, pb_target() calls in a child. */
async function generate(kinds: ReadonlySet<Kind>): Promise<void> {
  if (kinds.has('tracepoint')) {
    for (let i = 0; i < EVENTS_PER_CYCLE; i++) getppid();
  }
  if (kinds.has('uprobe')) {
    const child = spawn(loadgenBinary, ['call', String(EVENTS_PER_CYCLE)], { stdio: ['ignore', 'pipe', 'pipe'] });
    ourChildren.add(child.pid!);
    await exited(child);
  }
}

/** Opens `kinds.length` sessions at once, makes events, stops them, checks each saw its events, closes all. */
async function cycle(kinds: readonly Kind[]): Promise<string | undefined> {
  const captures: Capture[] = [];
  try {
    for (const kind of kinds) captures.push(openCapture(kind));
    for (const capture of captures) capture.session.start();
    await generate(new Set(kinds));
    for (const capture of captures) capture.session.stop();
    const short = captures.filter((capture) => capture.seen() !== EVENTS_PER_CYCLE);
    return short.length === 0
      ? undefined
      : short.map((c) => `a ${c.kind} session saw ${c.seen()} of ${EVENTS_PER_CYCLE} events`).join('; ');
  } finally {
    for (const capture of captures) capture.session.close();
    // As a program does between captures: back to the event loop, where V8 frees what closed
    // sessions dropped (their batch buffers are released by tasks after a collection).
    await nextTurn();
  }
}

/** Runs `planned` cycles, measuring each, and compares what the process holds before and after. */
async function phase(name: string, planned: number, kinds: readonly Kind[]): Promise<PhaseResult> {
  const before = await snapshot();
  const rssStart = process.memoryUsage.rss();
  let peak = rssStart;
  const cycleMs: number[] = [];
  const failures: string[] = [];
  let failed = 0;
  const quarter = Math.max(1, Math.round(planned / 4));
  const rssTrend: number[] = [];
  for (let i = 0; i < planned; i++) {
    const started = performance.now();
    let problem: string | undefined;
    try {
      problem = await cycle(kinds);
    } catch (error) {
      // An exception (a probe that cannot be created, say) would repeat: end the phase here.
      failures.push(`cycle ${i} threw: ${(error as Error).message.split('\n')[0]}`);
      break;
    }
    cycleMs.push(performance.now() - started);
    peak = Math.max(peak, process.memoryUsage.rss());
    if (problem !== undefined && ++failed <= MAX_FAILURE_MESSAGES) failures.push(`cycle ${i}: ${problem}`);
    if ((i + 1) % quarter === 0) {
      rssTrend.push(process.memoryUsage.rss());
      process.stderr.write(`  ${name}: ${i + 1}/${planned}, RSS ${(rssTrend.at(-1)! / 1048576).toFixed(1)} MiB\n`);
    }
  }
  if (failed > MAX_FAILURE_MESSAGES) failures.push(`... ${failed} cycles in all missed events`);
  const after = await snapshot();
  return {
    name,
    cycles: cycleMs.length,
    planned,
    cycleMs,
    rss: { start: rssStart, peak, end: process.memoryUsage.rss() },
    rssTrend,
    fds: { before: before.fds.length, after: after.fds.length },
    perfMappings: { before: before.perfMappings, after: after.perfMappings },
    probeLines: { before: before.probeLines.length, after: after.probeLines.length },
    retainedBytes: { before: before.retainedBytes, after: after.retainedBytes },
    leaks: leaksBetween(before, after),
    failures,
  };
}

const { values } = parseArgs({
  options: { cycles: { type: 'string', default: '2000' }, sessions: { type: 'string', default: '50' } },
});
const cycles = Number(values.cycles);
const sessions = Number(values.sessions);
if (!Number.isSafeInteger(cycles) || cycles < 1 || !Number.isSafeInteger(sessions) || sessions < 1) {
  throw new Error('--cycles and --sessions take positive integers');
}

// One cycle of each kind first: what is loaded or compiled once (addon, decoders, ELF symbols) is not a leak.
await cycle(['tracepoint']);
await cycle(['uprobe']);
const started = Date.now();
const concurrentKinds = Array.from({ length: sessions }, (_, i): Kind => (i % 2 === 0 ? 'tracepoint' : 'uprobe'));
const phases = [
  await phase('tracepoint open/close', cycles, ['tracepoint']),
  await phase('uprobe open/close', cycles, ['uprobe']),
  await phase(`${sessions} sessions at once`, 1, concurrentKinds),
];
const context = {
  date: new Date().toISOString(),
  node: process.version,
  kernel: release(),
  seconds: Math.round((Date.now() - started) / 1000),
};
process.stdout.write(`${jsonReport(phases, context)}\n`);
process.stderr.write(`${tableReport(phases)}\n`);
process.exitCode = phases.every(phaseOk) ? 0 : 1;
