/**
 * `perf-bridge trace`: capture events in columnar form and write them (text, JSON lines or CSV), or
 * aggregate them into a table, until a limit, the command, or a signal. The parts are in trace/:
 * the session options, the run (what ends it, the exit status), the event and aggregation sinks,
 * and the feed of column batches between the session and them.
 */
import type { Aggregation } from '../aggregate/index.js';
import { EventWriter } from '../output/index.js';
import { pipeReadersOf } from '../process/pipe-readers.js';
import { openPublisher } from '../ship/index.js';
import { openStore } from '../store/index.js';
import { type Session, openSession } from '../session/session.js';
import type { ColumnBatch } from '../decode/columns.js';
import type { NatsTarget, TraceCommand } from './args.js';
import { type HeldCommand, startCommand } from './command.js';
import { type EventOutput, openOutput } from './output.js';
import { type StatusSample, StatusLine } from './status-line.js';
import { AggregateSink } from './trace/aggregate-sink.js';
import { chooseAggregation } from './trace/aggregation-choice.js';
import { ColumnFeed } from './trace/column-feed.js';
import { EventSink } from './trace/event-sink.js';
import { traceSessionOptions } from './trace/session-options.js';
import { summaryLine } from './trace/summary.js';
import { TraceRun, type WriteWrapper } from './trace/trace-run.js';

/**
 * Opens the session and the aggregation, if one is asked for. On failure the held command is
 * killed (it never ran: its exec is held) and the session closed, so nothing is left behind.
 */
function openCapture(
  options: TraceCommand,
  held: HeldCommand | undefined,
  output: EventOutput,
): { session: Session; aggregation: Aggregation | undefined } {
  let session: Session | undefined;
  try {
    const readers = () => (output.isStdout ? pipeReadersOf(process.stdout.fd) : []);
    session = openSession(traceSessionOptions(options, held, readers));
    const request = options.aggregate;
    const aggregation = request === undefined ? undefined : chooseAggregation(request, session, options.probes);
    return { session, aggregation };
  } catch (error) {
    session?.close();
    held?.kill('SIGKILL');
    throw error;
  }
}

/** The status line, when stderr is a terminal and --quiet was not given. */
function statusLineFor(options: TraceCommand, session: Session): StatusLine | undefined {
  if (options.quiet || !process.stderr.isTTY) return undefined;
  return new StatusLine(process.stderr, () => {
    const stats = session.stats();
    const sample: StatusSample = { delivered: stats.delivered, lost: stats.lost.total, ringFill: stats.ringFill.max };
    return sample;
  });
}

/** What a run writes at its end: the closing table (aggregations), and what became of the events. */
interface Closing {
  table: () => string;
  outcome: () => string;
  /** Completes the events' destination after the session's last batch (a store's close). */
  settle?: () => Promise<void>;
}

/** Everything one trace runs with. */
interface TraceSetUp {
  options: TraceCommand;
  session: Session;
  output: EventOutput;
  run: TraceRun;
  /** Makes a write to the output (around the status line, when both share a terminal). */
  aroundWrite: WriteWrapper;
}

/** Feeds the session's batches to the aggregation and its tables. */
function feedAggregation(
  { options, session, output, run, aroundWrite }: TraceSetUp,
  aggregation: Aggregation,
): Closing {
  const sink = new AggregateSink(run, output.stream, aggregation, options.intervalSeconds, aroundWrite);
  run.attach(new ColumnFeed(session, sink.take, run.fail));
  sink.start();
  return { table: () => sink.closingTable(), outcome: () => `${session.stats().delivered} events aggregated` };
}

/** Feeds the session's batches to the event writer, times counted from now (just before the start). */
function feedEvents({ options, session, output, run, aroundWrite }: TraceSetUp): Closing {
  const sink = new EventSink(run, output.stream, options.count ?? Infinity, aroundWrite);
  // Subscribed first: that compiles the column decoders, which should not delay the time origin.
  const feed = new ColumnFeed(session, sink.take, run.fail);
  sink.attach(feed);
  run.attach(feed);
  const format = options.format ?? (output.isTerminal ? 'text' : 'jsonl');
  const writer = new EventWriter(session.formats, { format, timeOrigin: 0n, absoluteTime: options.absoluteTime });
  writer.warmUp();
  // Times are counted from now: just before the start, after the warm-up.
  writer.setTimeOrigin(process.hrtime.bigint());
  sink.begin(writer);
  return { table: () => '', outcome: () => `${sink.written} events written` };
}

/** A destination that takes column batches and is closed with the run's totals: a store or a publisher. */
interface Forwarder {
  add: (batch: ColumnBatch) => void;
  close(totals: { delivered: Record<string, number>; lostKernel: number }): Promise<void>;
}

/** The sum of per-event counts. */
function total(counts: Record<string, number>): number {
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}

/** Feeds the session's batches to `forwarder`, closed with the run's totals at the end. */
function feedForwarder({ session, run }: TraceSetUp, forwarder: Forwarder, outcome: () => string): Closing {
  run.attach(new ColumnFeed(session, forwarder.add, run.fail));
  const settle = () => {
    const stats = session.stats();
    const delivered = Object.fromEntries(
      Object.entries(stats.events).map(([event, counts]) => [event, counts.delivered]),
    );
    return forwarder.close({ delivered, lostKernel: stats.lost.total });
  };
  return { table: () => '', outcome, settle };
}

/** Feeds the session's batches to a DuckDB store (opened here: tables created or checked first). */
async function feedStore(setUp: TraceSetUp, path: string): Promise<Closing> {
  const store = await openStore(path, setUp.session.formats);
  return feedForwarder(setUp, store, () => {
    const { stored, lostStore } = store.stats();
    const lost = total(lostStore);
    return `${total(stored)} events stored in ${path} (run ${store.run}${lost > 0 ? `, ${lost} the store could not take` : ''})`;
  });
}

/** Feeds the session's batches to a NATS publisher (connected here, the stream created if missing). */
async function feedNats(setUp: TraceSetUp, target: NatsTarget): Promise<Closing> {
  const options = {
    ...(target.host === undefined ? {} : { host: target.host }),
    ...(target.replicas === undefined ? {} : { replicas: target.replicas }),
  };
  const publisher = await openPublisher(target.servers, setUp.session.formats, options);
  return feedForwarder(setUp, publisher, () => {
    const { published, lost, lastError } = publisher.stats();
    const lostText = total(lost) > 0 ? `, ${total(lost)} not acknowledged (${lastError ?? 'unknown'})` : '';
    return `${total(published)} events published to ${target.servers.join(',')}${lostText}`;
  });
}

/** Where the batches go: the store (--db), the publisher (--nats), the aggregation, or the event writer. */
function chooseFeed(setUp: TraceSetUp, aggregation: Aggregation | undefined): Promise<Closing> {
  if (setUp.options.database !== undefined) return feedStore(setUp, setUp.options.database);
  if (setUp.options.nats !== undefined) return feedNats(setUp, setUp.options.nats);
  return Promise.resolve(aggregation ? feedAggregation(setUp, aggregation) : feedEvents(setUp));
}

/**
 * Runs the trace command; resolves with the process exit status (see failure.ts). Errors before
 * the capture starts are thrown; a failure while it runs is reported here, on stderr, with exit 1.
 */
export async function runTrace(options: TraceCommand): Promise<number> {
  const output = openOutput(options.outputFile);
  const held = options.command === undefined ? undefined : startCommand(options.command, output.isStdout);
  const { session, aggregation } = openCapture(options, held, output);
  const statusLine = statusLineFor(options, session);
  const run = new TraceRun({ session, out: output.stream, held, statusLine });
  // The status line and the events may share one terminal: the line is erased before each write
  // and put back after it.
  const aroundWrite: WriteWrapper = (write) => {
    if (!output.isTerminal || !statusLine) return write();
    statusLine.clear();
    const result = write();
    statusLine.restore();
    return result;
  };
  run.listen(options.durationSeconds);
  const setUp = { options, session, output, run, aroundWrite };
  const closing = await chooseFeed(setUp, aggregation).catch((error: unknown) => {
    session.close();
    held?.kill('SIGKILL');
    throw error;
  });
  session.start();
  held?.release();
  statusLine?.start();
  await run.conclude(closing.table, () => summaryLine(closing.outcome(), session.stats()), closing.settle);
  return run.exitStatus();
}
