/**
 * Command-line parsing for `perf-bridge`: the commands and what each parses into. The options of
 * each command are in args/options.ts, `trace`'s own parsing in args/trace.ts.
 */
import type { LatencyPair } from '../aggregate/index.js';
import type { StackSpace } from '../session/stack-option.js';
import { COMMAND_NAMES, type CommandName, OPTIONS_OF } from './args/options.js';
import { scanArguments } from './args/scan.js';
import { parseCollect } from './args/destination.js';
import { parseTrace } from './args/trace.js';
import { UsageError } from './failure.js';
import { didYouMean } from './suggest-option.js';

export { MAX_DURATION_SECONDS, type CommandName } from './args/options.js';

/** How `trace` writes events. */
export type OutputFormatName = 'text' | 'jsonl' | 'csv';

/** Where `--nats` publishes. */
export interface NatsTarget {
  servers: string[];
  host: string | undefined;
  replicas: number | undefined;
}

/** The parsed `collect` command. */
export interface CollectCommand {
  kind: 'collect';
  servers: string[];
  database: string;
  durable: string | undefined;
  idleSeconds: number | undefined;
  replicas: number | undefined;
}

/** How `query` prints rows. */
export type QueryFormat = 'table' | 'jsonl' | 'csv';

/** An event or probe to trace, with the `--filter` given right after it. */
export interface TraceTarget {
  /** A tracepoint or glob (`group:name`), or a probe definition in kernel syntax. */
  definition: string;
  filter: string | undefined;
}

/** A table `trace` prints instead of events. */
export type AggregateRequest =
  | { kind: 'count-by'; keys: string[]; top: number | undefined }
  | { kind: 'hist'; field: string }
  /** `pair` undefined: the p/r probe pair given in the command. */
  | { kind: 'latency'; pair: LatencyPair | undefined }
  /** `--format folded`: the events' stacks folded, with their counts. */
  | { kind: 'folded' };

/** The parsed `trace` command. */
export interface TraceCommand {
  kind: 'trace';
  /** Tracepoints and globs, `group:name`. */
  events: TraceTarget[];
  /** Probe definitions in kernel syntax (a `PATH:SYMBOL` alone becomes `p PATH:SYMBOL`). */
  probes: TraceTarget[];
  /** `--count`: events to write before the trace ends (undefined: no limit). */
  count: number | undefined;
  /** `--duration` in seconds (undefined: no limit). */
  durationSeconds: number | undefined;
  /** `--format`; undefined: text when the output is a terminal, else jsonl. */
  format: OutputFormatName | undefined;
  /** `--abs-time`: monotonic timestamps instead of seconds since the start. */
  absoluteTime: boolean;
  /** `-o/--output FILE`: where the events go (undefined: stdout). */
  outputFile: string | undefined;
  /** `--db FILE`: the DuckDB database the events are stored in, instead of printed. */
  database: string | undefined;
  /** `--nats URL,...` (with `--host`, `--nats-replicas`): publish the events to JetStream instead. */
  nats: NatsTarget | undefined;
  /** `--ring-pages` (undefined: the session's default). */
  ringPages: number | undefined;
  /** The command to run and trace, from after `--` (undefined: trace system-wide). */
  command: string[] | undefined;
  /** Leave out this process and the readers of its output (`--no-exclude-self` turns it off). */
  excludeSelf: boolean;
  /** `-p/--pid`: the processes to trace. */
  pids: number[] | undefined;
  /** `-C/--cpu`: the CPUs to trace, in increasing order. */
  cpus: number[] | undefined;
  /** `--cgroup`: a cgroup v2 directory whose processes are traced. */
  cgroup: string | undefined;
  /** `--quiet`: no status line. */
  quiet: boolean;
  /** `--count-by`, `--hist` or `--latency`. */
  aggregate: AggregateRequest | undefined;
  /** `--interval`: seconds between tables (only with an aggregation). */
  intervalSeconds: number | undefined;
  /** `--stack` (and `--stack-depth`): capture each event's call stack. */
  stack: { from: StackSpace; maxDepth?: number } | undefined;
}

/** Every command the CLI knows. */
export type CliCommand =
  | TraceCommand
  | { kind: 'query'; database: string; sql: string; format: QueryFormat }
  | CollectCommand
  | { kind: 'list'; filter: string | undefined }
  | { kind: 'format'; event: string; typescript: boolean }
  | { kind: 'probes'; cleanup: boolean }
  /** `topic` undefined: the overview of every command. */
  | { kind: 'help'; topic: CommandName | undefined };

function isCommandName(name: string): name is CommandName {
  return (COMMAND_NAMES as readonly string[]).includes(name);
}

function unknownCommand(verb: string): UsageError {
  return new UsageError(`unknown command "${verb}"${didYouMean(verb, COMMAND_NAMES)}`);
}

/** The positionals of a command other than trace, after checking its options; `flags` holds the flags given. */
function simpleCommand(verb: Exclude<CommandName, 'trace'>, args: readonly string[]) {
  const tokens = scanArguments(args, OPTIONS_OF[verb], verb);
  const positionals = tokens.flatMap((token) => (token.kind === 'positional' ? [token.value] : []));
  const flags = new Set(tokens.flatMap((token) => (token.kind === 'option' ? [token.spec.long] : [])));
  return { positionals, flags };
}

function parseHelp(args: readonly string[]): CliCommand {
  const { positionals } = simpleCommand('help', args);
  if (positionals.length > 1) throw new UsageError('help takes at most one command name, such as trace');
  const topic = positionals[0];
  if (topic === undefined) return { kind: 'help', topic: undefined };
  if (!isCommandName(topic)) throw unknownCommand(topic);
  return { kind: 'help', topic };
}

/** `query FILE SQL [--format table|jsonl|csv]`. */
function parseQuery(args: readonly string[]): CliCommand {
  const tokens = scanArguments(args, OPTIONS_OF.query, 'query');
  const positionals = tokens.flatMap((token) => (token.kind === 'positional' ? [token.value] : []));
  if (positionals.length !== 2) {
    throw new UsageError(
      `query takes a database file and one SQL statement, got ${positionals.length} argument(s)`,
      'quote the statement: perf-bridge query events.duckdb "SELECT comm, count(*) FROM ... GROUP BY comm"',
    );
  }
  const given = tokens.find((token) => token.kind === 'option' && token.spec.long === 'format');
  const text = given?.kind === 'option' ? given.value : undefined;
  const format = QUERY_FORMATS.find((name) => name === (text ?? 'table'));
  if (format === undefined)
    throw new UsageError(`--format ${text ?? ''} is not supported by query; use table, jsonl or csv`);
  return { kind: 'query', database: positionals[0]!, sql: positionals[1]!, format };
}

const QUERY_FORMATS: readonly QueryFormat[] = ['table', 'jsonl', 'csv'];

/** Parses argv (without node and the script). Throws a {@link UsageError} naming the problem. */
export function parseCli(argv: readonly string[]): CliCommand {
  const separator = argv.indexOf('--');
  const own = separator < 0 ? argv : argv.slice(0, separator);
  const command = separator < 0 ? undefined : argv.slice(separator + 1);
  const [verb, ...rest] = own;
  if (verb === undefined || verb === '--help' || verb === '-h') return { kind: 'help', topic: undefined };
  if (!isCommandName(verb)) throw unknownCommand(verb);
  if (verb !== 'trace' && command !== undefined) throw new UsageError(`only trace runs a command (after --)`);
  // `COMMAND --help` shows that command's help whatever else is on the line.
  if (rest.includes('--help') || rest.includes('-h'))
    return { kind: 'help', topic: verb === 'help' ? undefined : verb };
  switch (verb) {
    case 'help':
      return parseHelp(rest);
    case 'trace':
      return parseTrace(rest, command);
    case 'query':
      return parseQuery(rest);
    case 'collect':
      return parseCollect(rest);
    case 'list': {
      const { positionals } = simpleCommand(verb, rest);
      if (positionals.length > 1) throw new UsageError('list takes at most one substring to filter by');
      return { kind: 'list', filter: positionals[0] };
    }
    case 'format': {
      const { positionals, flags } = simpleCommand(verb, rest);
      if (positionals.length !== 1) {
        throw new UsageError('format takes exactly one event name, such as sched:sched_switch');
      }
      return { kind: 'format', event: positionals[0]!, typescript: flags.has('ts') };
    }
    case 'probes': {
      const { positionals, flags } = simpleCommand(verb, rest);
      if (positionals.length > 0) throw new UsageError(`probes takes no arguments, got "${positionals[0]!}"`);
      return { kind: 'probes', cleanup: flags.has('cleanup') };
    }
  }
}
