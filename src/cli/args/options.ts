/**
 * The options of each command, in one table per command: the scanner reads them to tell options
 * from events, and the help text is printed from them, so the two cannot disagree.
 */

/** One option of a command. */
export interface OptionSpec {
  /** The long name, without `--`. */
  readonly long: string;
  /** A one-letter name, without `-`. */
  readonly short?: string;
  /** The value's placeholder in help (`N`, `FILE`) when the option takes a value. */
  readonly value?: string;
  /**
   * The value may be left out (`--latency`): it is then taken from `--opt=VALUE`, or from the next
   * argument only when {@link OptionSpec.acceptsNext} says that argument is one.
   */
  readonly optionalValue?: boolean;
  /** For an optional value: whether the argument after the option is its value, not an event. */
  readonly acceptsNext?: (next: string) => boolean;
  /** One line of help. */
  readonly help: string;
}

/** The commands the CLI knows. */
export type CommandName = 'trace' | 'query' | 'collect' | 'list' | 'format' | 'probes' | 'help';

/** Every command, in the order help lists them. */
export const COMMAND_NAMES: readonly CommandName[] = ['trace', 'query', 'collect', 'list', 'format', 'probes', 'help'];

/** The options of `trace` that each ask for an aggregation (one per trace). */
export const AGGREGATIONS = ['count-by', 'hist', 'latency'] as const;

/** The longest `--duration` accepted: ten years, far beyond any trace yet well inside a double's exact range. */
export const MAX_DURATION_SECONDS = 10 * 365 * 24 * 3600;

const HELP: OptionSpec = { long: 'help', short: 'h', help: 'show this help' };

/** `ENTRY,RETURN`: two names and a comma, no space (event names and probe definitions have no comma). */
function isLatencyPair(next: string): boolean {
  return !next.startsWith('-') && next.includes(',') && !/\s/.test(next);
}

/** The options of `trace`. */
export const TRACE_OPTIONS: readonly OptionSpec[] = [
  { long: 'filter', value: 'EXPR', help: "keep only the events of the EVENT before it that match EXPR ('ret < 0')" },
  { long: 'count', value: 'N', help: 'stop after N events' },
  { long: 'duration', value: 'SEC', help: `stop after SEC seconds (fractions allowed, at most ten years)` },
  {
    long: 'format',
    value: 'text|jsonl|csv|folded',
    help: 'output format (default: text on a terminal, else jsonl); folded: stack counts, with --stack',
  },
  { long: 'abs-time', help: 'print monotonic timestamps instead of seconds since the start' },
  { long: 'output', short: 'o', value: 'FILE', help: "write the events to FILE; the command's output stays on stdout" },
  {
    long: 'db',
    value: 'FILE',
    help: 'store the events in the DuckDB database FILE (one table per event; see perf-bridge query)',
  },
  {
    long: 'nats',
    value: 'URL[,URL...]',
    help: 'publish the events to NATS JetStream as Arrow record batches (see perf-bridge collect)',
  },
  { long: 'host', value: 'NAME', help: "with --nats: the host name to publish under (default: this host's)" },
  { long: 'nats-replicas', value: 'N', help: 'with --nats: replicas of the stream when it is created (default 1)' },
  { long: 'pid', short: 'p', value: 'PID[,PID...]', help: 'trace only these processes (with all their threads)' },
  { long: 'cpu', short: 'C', value: 'LIST', help: 'trace only these CPUs (0,2-3)' },
  { long: 'cgroup', value: 'PATH', help: 'trace only the processes of a cgroup v2 directory' },
  { long: 'no-exclude-self', help: 'keep the events of perf-bridge and of the readers of its output' },
  { long: 'quiet', help: 'no live status line on stderr' },
  { long: 'ring-pages', value: 'N', help: 'ring buffer pages per CPU (a power of two)' },
  { long: 'stack', value: 'kernel|user|both', help: "capture each event's call stack, symbolized" },
  { long: 'stack-depth', value: 'N', help: 'with --stack: keep at most N frames (default: the kernel limit, 127)' },
  {
    long: 'count-by',
    value: 'KEY[,KEY...]',
    help: 'count events by event, comm, pid, tid, cpu, stack (with --stack) or a field',
  },
  { long: 'top', value: 'N', help: 'with --count-by: show only the N largest counts' },
  { long: 'hist', value: 'FIELD', help: "a log2 histogram of a field's values" },
  {
    long: 'latency',
    value: 'ENTRY,RETURN',
    optionalValue: true,
    acceptsNext: isLatencyPair,
    help: 'time from each entry to the next return of the same thread (default: the p/r probes given)',
  },
  { long: 'interval', value: 'SEC', help: 'with an aggregation: print the table every SEC seconds' },
  HELP,
];

/** The options of `list`. */
export const LIST_OPTIONS: readonly OptionSpec[] = [HELP];

/** The options of `format`. */
export const FORMAT_OPTIONS: readonly OptionSpec[] = [
  { long: 'ts', help: 'print a TypeScript type for openSession<...> instead of the table' },
  HELP,
];

/** The options of `probes`. */
export const PROBES_OPTIONS: readonly OptionSpec[] = [
  { long: 'cleanup', help: 'remove the probes of perf-bridge processes that are no longer running' },
  HELP,
];

/** The options of `query`. */
export const QUERY_OPTIONS: readonly OptionSpec[] = [
  { long: 'format', value: 'table|jsonl|csv', help: 'how to print the rows (default: table)' },
  HELP,
];

/** The options of `collect`. */
export const COLLECT_OPTIONS: readonly OptionSpec[] = [
  { long: 'nats', value: 'URL[,URL...]', help: 'the NATS servers to collect from' },
  { long: 'db', value: 'FILE', help: 'the DuckDB database to store into' },
  {
    long: 'durable',
    value: 'NAME',
    help: 'the durable consumer (default perf-bridge-collector): a restart resumes it',
  },
  { long: 'idle', value: 'SEC', help: 'stop after SEC seconds without a message (default: run until Ctrl-C)' },
  { long: 'nats-replicas', value: 'N', help: 'replicas of the stream when it is created (default 1)' },
  HELP,
];

/** The options of `help`. */
export const HELP_OPTIONS: readonly OptionSpec[] = [HELP];

/** The options of each command. */
export const OPTIONS_OF: Readonly<Record<CommandName, readonly OptionSpec[]>> = {
  trace: TRACE_OPTIONS,
  query: QUERY_OPTIONS,
  collect: COLLECT_OPTIONS,
  list: LIST_OPTIONS,
  format: FORMAT_OPTIONS,
  probes: PROBES_OPTIONS,
  help: HELP_OPTIONS,
};
