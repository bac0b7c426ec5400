/** The session options of a `trace` command line: its events and probes with their filters, and whose events. */
import type { ProbeInput } from '../../probes/probe-set.js';
import { parse } from '../../probes/parse.js';
import type { FilteredEvent, SessionOptions } from '../../session/options.js';
import type { TraceCommand, TraceTarget } from '../args.js';
import type { HeldCommand } from '../command.js';

/** A tracepoint, with its `--filter` when one followed it. */
function eventOption({ definition, filter }: TraceTarget): string | FilteredEvent {
  return filter === undefined ? definition : { event: definition, filter };
}

/**
 * A probe, with its `--filter` when one followed it: kernel text has no place for a filter, so the
 * text is parsed into the model, which carries one (as the builder's `.filter()` sets it).
 */
function probeOption({ definition, filter }: TraceTarget): ProbeInput {
  return filter === undefined ? definition : { ...parse(definition), filterExpression: filter };
}

/**
 * The session options for `options`: on the held command and its descendants when there is one
 * (from its exec), else on the given pids, cgroup or every process, on the given CPUs. Unless told
 * not to, this process is left out, and so are the processes reading the events from our stdout
 * (`readersOfStdout`), whose reads of what we write would otherwise be traced in turn.
 */
export function traceSessionOptions(
  options: TraceCommand,
  held: HeldCommand | undefined,
  readersOfStdout: () => number[],
): SessionOptions {
  const sessionWide = held === undefined && options.pids === undefined;
  return {
    events: options.events.map(eventOption),
    probes: options.probes.map(probeOption),
    ...(options.ringPages === undefined ? {} : { ringPages: options.ringPages }),
    ...(options.cpus === undefined ? {} : { cpus: options.cpus }),
    ...(options.cgroup === undefined ? {} : { cgroup: options.cgroup }),
    ...(options.pids === undefined ? {} : { pid: options.pids }),
    ...(held ? { pid: held.pid, inherit: true, enableOnExec: true } : {}),
    ...(options.stack === undefined ? {} : { stack: options.stack }),
    excludeSelf: options.excludeSelf,
    excludePids: options.excludeSelf && sessionWide ? readersOfStdout() : [],
  };
}
