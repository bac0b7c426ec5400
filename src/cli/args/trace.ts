/** The `trace` command line, read into a {@link TraceCommand}. */
import type { StackSpace } from '../../session/stack-option.js';
import type { AggregateRequest, OutputFormatName, TraceCommand, TraceTarget } from '../args.js';
import { UsageError } from '../failure.js';
import { AGGREGATIONS, MAX_DURATION_SECONDS, TRACE_OPTIONS } from './options.js';
import { type ArgToken, type OptionToken, scanArguments } from './scan.js';
import { destination } from './destination.js';
import { cpuList, fieldName, keyList, latencyPair, nonEmpty, pidList, positiveNumber } from './values.js';

const OUTPUT_FORMATS: readonly (OutputFormatName | 'folded')[] = ['text', 'jsonl', 'csv', 'folded'];
const STACK_SPACES: readonly StackSpace[] = ['kernel', 'user', 'both'];

/** The options given once each (by long name), and the targets with their filters. */
interface Collected {
  options: Map<string, OptionToken>;
  events: TraceTarget[];
  probes: TraceTarget[];
}

/**
 * A positional as a target: a definition (it has a space), a `PATH:SYMBOL` or `LIBRARY.so…:SYMBOL`
 * (a uprobe on that function; no tracepoint group has a '.' or '/'), or an event name.
 */
function classify(item: string): { probe: boolean; definition: string } {
  const trimmed = item.trim();
  if (/\s/.test(trimmed)) return { probe: true, definition: trimmed };
  if (item.startsWith('/') || item.startsWith('./') || /^[^:/]*\.so\b[^:/]*:/.test(item)) {
    return { probe: true, definition: `p ${item}` };
  }
  return { probe: false, definition: item };
}

function attachFilter(target: TraceTarget | undefined, token: OptionToken): void {
  const expression = token.value ?? '';
  if (target === undefined) {
    throw new UsageError(`--filter ${expression} has no event before it: write the event first, EVENT --filter EXPR`);
  }
  if (target.filter !== undefined) {
    throw new UsageError(
      `two --filter options after ${target.definition}: join the expressions with && in one --filter`,
    );
  }
  if (expression.trim() === '') throw new UsageError(`--filter after ${target.definition} is empty`);
  target.filter = expression;
}

function collect(tokens: readonly ArgToken[]): Collected {
  const collected: Collected = { options: new Map(), events: [], probes: [] };
  let last: TraceTarget | undefined;
  for (const token of tokens) {
    if (token.kind === 'positional') {
      const { probe, definition } = classify(token.value);
      last = { definition, filter: undefined };
      (probe ? collected.probes : collected.events).push(last);
    } else if (token.spec.long === 'filter') {
      attachFilter(last, token);
    } else {
      if (collected.options.has(token.spec.long)) throw new UsageError(`${token.written} is given more than once`);
      collected.options.set(token.spec.long, token);
    }
  }
  return collected;
}

function outputFormat(text: string | undefined): OutputFormatName | 'folded' | undefined {
  if (text === undefined) return undefined;
  const format = OUTPUT_FORMATS.find((name) => name === text);
  if (format === undefined) throw new UsageError(`--format ${text} is not supported; use text, jsonl, csv or folded`);
  return format;
}

/** `--stack` and `--stack-depth`, checked against the format and the aggregation they go with. */
function stackRequest(
  options: Map<string, OptionToken>,
  format: OutputFormatName | 'folded' | undefined,
  aggregate: AggregateRequest | undefined,
): TraceCommand['stack'] {
  const from = options.get('stack')?.value;
  const depth = positiveNumber('stack-depth', options.get('stack-depth')?.value, 'integer', Number.MAX_SAFE_INTEGER);
  const needsStacks = [
    format === 'folded' && '--format folded',
    aggregate?.kind === 'count-by' && aggregate.keys.includes('stack') && '--count-by stack',
    depth !== undefined && '--stack-depth',
  ].find((reason) => typeof reason === 'string');
  if (from === undefined) {
    if (needsStacks !== undefined) throw new UsageError(`${needsStacks} needs --stack kernel, user or both`);
    return undefined;
  }
  const space = STACK_SPACES.find((name) => name === from);
  if (space === undefined) throw new UsageError(`--stack ${from} is not one of kernel, user, both`);
  if (format === 'csv') throw new UsageError('--format csv has no place for stacks: use jsonl, text or folded');
  return depth === undefined ? { from: space } : { from: space, maxDepth: depth };
}

/** The aggregation asked for, after checking the options that go (or do not go) with it. */
function aggregation(options: Map<string, OptionToken>): AggregateRequest | undefined {
  const given = AGGREGATIONS.filter((name) => options.has(name));
  if (given.length > 1) {
    throw new UsageError(`--${given[0]!} and --${given[1]!} cannot be given together: one aggregation per trace`);
  }
  const chosen = given[0];
  if (options.has('top') && chosen !== 'count-by') throw new UsageError('--top goes with --count-by only');
  if (options.has('interval') && chosen === undefined) {
    throw new UsageError('--interval goes with an aggregation only: --count-by, --hist or --latency');
  }
  if (chosen === undefined) return undefined;
  for (const name of ['format', 'abs-time']) {
    if (options.has(name)) {
      throw new UsageError(`--${name} does not apply to --${chosen}, which prints a table instead of events`);
    }
  }
  if (options.has('count')) {
    // An aggregation takes whole batches: it could not stop at exactly N events.
    throw new UsageError(
      `--count does not apply to --${chosen}, which prints a table instead of events`,
      'end the aggregation with --duration SEC, Ctrl-C, or a command (-- COMMAND)',
    );
  }
  const value = options.get(chosen)?.value;
  switch (chosen) {
    case 'count-by':
      return {
        kind: 'count-by',
        keys: keyList(chosen, value ?? ''),
        top: positiveNumber('top', options.get('top')?.value, 'integer', Number.MAX_SAFE_INTEGER),
      };
    case 'hist':
      return { kind: 'hist', field: fieldName(chosen, value ?? '') };
    case 'latency':
      return { kind: 'latency', pair: latencyPair(value) };
  }
}

/** `--format folded`, which is an aggregation of its own: refuses the others beside it. */
function foldedAggregation(options: Map<string, OptionToken>): AggregateRequest {
  const other = [...AGGREGATIONS, 'top', 'count', 'abs-time'].find((name) => options.has(name));
  if (other !== undefined) {
    throw new UsageError(`--${other} does not apply to --format folded, which prints stack counts at the end`);
  }
  return { kind: 'folded' };
}

/** Refuses more than one of -p, --cgroup and a command: each says whose events to see. */
function checkTargets(options: Map<string, OptionToken>, command: string[] | undefined): void {
  const given = [
    options.get('pid')?.written,
    options.has('cgroup') ? '--cgroup' : undefined,
    command === undefined ? undefined : 'a command (after --)',
  ].filter((name) => name !== undefined);
  if (given.length > 1) {
    throw new UsageError(
      `${given.join(' and ')} cannot be given together: choose processes that run (-p), a cgroup (--cgroup) ` +
        'or a command to start (-- COMMAND)',
    );
  }
}

/** Parses the arguments of `trace` (without the verb); `command` is what followed `--`, if anything. */
export function parseTrace(args: readonly string[], command: string[] | undefined): TraceCommand {
  const { options, events, probes } = collect(scanArguments(args, TRACE_OPTIONS, 'trace'));
  if (events.length + probes.length === 0) {
    throw new UsageError('trace needs at least one event, for example sched:sched_process_exec');
  }
  const { database, nats } = destination(options);
  const value = (name: string) => options.get(name)?.value;
  const chosenFormat = outputFormat(value('format'));
  if (command?.length === 0) throw new UsageError('nothing after --: give the command to run');
  checkTargets(options, command);
  const aggregate = chosenFormat === 'folded' ? foldedAggregation(options) : aggregation(options);
  const format = chosenFormat === 'folded' ? undefined : chosenFormat;
  const stack = stackRequest(options, chosenFormat, aggregate);
  return {
    kind: 'trace',
    events,
    probes,
    count: positiveNumber('count', value('count'), 'integer', Number.MAX_SAFE_INTEGER),
    durationSeconds: positiveNumber('duration', value('duration'), 'number', MAX_DURATION_SECONDS),
    format,
    absoluteTime: options.has('abs-time'),
    outputFile: nonEmpty(options.get('output')),
    database,
    nats,
    ringPages: positiveNumber('ring-pages', value('ring-pages'), 'integer', Number.MAX_SAFE_INTEGER),
    command,
    excludeSelf: !options.has('no-exclude-self'),
    pids: pidList(value('pid')),
    cpus: cpuList(value('cpu')),
    cgroup: nonEmpty(options.get('cgroup')),
    quiet: options.has('quiet'),
    aggregate,
    intervalSeconds: positiveNumber('interval', value('interval'), 'number', MAX_DURATION_SECONDS),
    stack,
  };
}
