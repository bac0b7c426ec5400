/** The help texts: an overview, and one usage text per command listing each option on one line. */
import { type CommandName, MAX_DURATION_SECONDS, OPTIONS_OF, type OptionSpec } from './args/options.js';

/** What a command's help says besides its options. */
interface CommandHelp {
  usage: string;
  /** One line for the overview. */
  summary: string;
  /** Paragraphs after the usage line. */
  details: string;
  examples: readonly { what: string; line: string }[];
}

const HELP: Record<CommandName, CommandHelp> = {
  trace: {
    usage: 'perf-bridge trace [OPTIONS] EVENT [--filter EXPR] [EVENT [--filter EXPR]]... [-- COMMAND [ARGS...]]',
    summary: 'capture events and print them, or a table of counts, a histogram or latencies',
    details: `EVENT is a tracepoint or glob (sched:sched_switch, 'syscalls:sys_enter_*'), a probe definition in the
kernel's syntax (quote it: 'p:open do_sys_openat2 path=+0(%si):string'), or PATH:SYMBOL, a uprobe on
a function (/usr/bin/bash:readline, libc.so.6:malloc). With -- COMMAND, the command runs and only it
and its descendants are traced until it exits; SIGINT, SIGTERM and SIGHUP are passed on to it, and
its stdout goes to stderr unless -o sends the events to a file. --duration takes at most
${MAX_DURATION_SECONDS} seconds. The events of perf-bridge itself and of the processes reading its
output (| jq) are left out unless --no-exclude-self is given. A summary goes to stderr.`,
    examples: [
      {
        what: 'which processes make the most system calls (top 10, for 5 seconds)',
        line: 'perf-bridge trace raw_syscalls:sys_enter --count-by comm --top 10 --duration 5',
      },
      {
        what: 'a histogram of the sizes read(2) returns, printed every second',
        line: 'perf-bridge trace syscalls:sys_exit_read --hist ret --interval 1',
      },
      {
        what: 'how long malloc takes in process 1234',
        line: "perf-bridge trace 'p libc.so.6:malloc' 'r libc.so.6:malloc' --latency -p 1234",
      },
      {
        what: 'the files a build fails to open',
        line: "perf-bridge trace syscalls:sys_exit_openat --filter 'ret < 0' -- make",
      },
      {
        what: 'who calls write() in a program: its user stacks, folded for a flame graph, into a file',
        line: 'perf-bridge trace syscalls:sys_enter_write --stack user --format folded -o app.folded -- ./app',
      },
      {
        what: 'every exec of the next hour into a DuckDB database, to query with SQL',
        line: 'perf-bridge trace sched:sched_process_exec --db events.duckdb --duration 3600',
      },
    ],
  },
  query: {
    usage: 'perf-bridge query [--format table|jsonl|csv] FILE SQL',
    summary: 'run SQL on a database trace --db wrote, and print the rows',
    details: `FILE is a DuckDB database written by trace --db: one table per event, named after it with every
character but letters, digits and _ made _ (sched:sched_process_exec is sched_sched_process_exec),
with the columns run, time (CLOCK_MONOTONIC ns), wall (TIMESTAMPTZ, µs), cpu, pid, tid, comm and the
event's fields; perf_bridge_runs has a row per event and run (host, kernel, start, end, delivered,
stored, lost). SQL is any DuckDB statement (COPY ... TO 'x.parquet' exports). Needs @duckdb/node-api.`,
    examples: [
      {
        what: "the ten programs exec'd most in the last hour",
        line:
          'perf-bridge query events.duckdb "SELECT filename, count(*) AS n FROM sched_sched_process_exec ' +
          'WHERE wall > now() - INTERVAL 1 HOUR GROUP BY ALL ORDER BY n DESC LIMIT 10"',
      },
      {
        what: 'a table exported to Parquet',
        line: 'perf-bridge query events.duckdb "COPY sched_sched_process_exec TO \'exec.parquet\'"',
      },
    ],
  },
  collect: {
    usage: 'perf-bridge collect --nats URL[,URL...] --db FILE [--durable NAME] [--idle SEC]',
    summary: 'store the events hosts publish with trace --nats into a DuckDB database',
    details: `Reads the JetStream stream PERF_BRIDGE (created if missing) through a durable consumer, so a
restarted collector resumes where it stopped, and stores each host's events in FILE: the tables of
trace --db with a host column after run, and one run per publisher run in perf_bridge_runs. Each
round of messages is stored in one transaction with its keys (perf_bridge_batches) and acknowledged
after it: every batch is stored once, also when the collector is killed. Runs until Ctrl-C or
SIGTERM (finishing its round), or --idle SEC without a message. Needs @duckdb/node-api, nats and
apache-arrow.`,
    examples: [
      {
        what: 'collect a fleet into one database',
        line: 'perf-bridge collect --nats nats://n1:4222,nats://n2:4222,nats://n3:4222 --db fleet.duckdb',
      },
    ],
  },
  list: {
    usage: 'perf-bridge list [SUBSTRING]',
    summary: 'list the tracepoints of this kernel',
    details: 'Prints every tracepoint as group:name, one a line; with SUBSTRING, only those containing it.',
    examples: [{ what: 'the scheduler tracepoints', line: 'perf-bridge list sched:' }],
  },
  format: {
    usage: 'perf-bridge format [--ts] EVENT',
    summary: "show an event's fields and the JavaScript type of each",
    details: `Prints each field of a tracepoint with the type its value has in the events a session delivers
(number, bigint, string, boolean, or a typed array), and its C type, offset and size. With --ts,
prints a TypeScript type to give openSession<...>.`,
    examples: [
      { what: 'the fields of sched_switch', line: 'perf-bridge format sched:sched_switch' },
      { what: 'its TypeScript type', line: 'perf-bridge format --ts sched:sched_switch' },
    ],
  },
  probes: {
    usage: 'perf-bridge probes [--cleanup]',
    summary: 'list the kprobes and uprobes defined now, and whose they are',
    details: `Lists the dynamic probes of this kernel: those of perf-bridge processes with the owner's pid and
whether it still runs, and those of other tools as foreign. --cleanup removes the probes of
perf-bridge processes that are no longer running (after a crash or a SIGKILL); probes of running
processes and foreign probes are never touched.`,
    examples: [{ what: 'remove what killed perf-bridge processes left behind', line: 'perf-bridge probes --cleanup' }],
  },
  help: {
    usage: 'perf-bridge help [COMMAND]',
    summary: 'show this overview, or the help of a command',
    details: 'perf-bridge COMMAND --help shows the same.',
    examples: [{ what: 'the options of trace', line: 'perf-bridge help trace' }],
  },
};

/** `-p, --pid PID[,PID...]` as help shows it. */
function optionName(option: OptionSpec): string {
  const long = `--${option.long}`;
  const value =
    option.value === undefined ? '' : option.optionalValue === true ? `[=${option.value}]` : ` ${option.value}`;
  return `${option.short === undefined ? '    ' : `-${option.short}, `}${long}${value}`;
}

function optionLines(options: readonly OptionSpec[]): string {
  const names = options.map(optionName);
  const width = Math.max(...names.map((name) => name.length)) + 2;
  return options.map((option, i) => `  ${names[i]!.padEnd(width)}${option.help}`).join('\n');
}

/** The help of one command: usage, what it does, every option, examples. */
export function commandHelp(command: CommandName): string {
  const help = HELP[command];
  const examples = help.examples.map(({ what, line }) => `  # ${what}\n  ${line}`).join('\n\n');
  return `usage: ${help.usage}

${help.summary[0]!.toUpperCase()}${help.summary.slice(1)}.

${help.details}

options:
${optionLines(OPTIONS_OF[command])}

examples:
${examples}
`;
}

/** The overview: every command with one line. */
export function overviewHelp(): string {
  const names = Object.keys(HELP) as CommandName[];
  const width = Math.max(...names.map((name) => name.length)) + 2;
  const lines = names.map((name) => `  ${name.padEnd(width)}${HELP[name].summary}`);
  return `usage: perf-bridge COMMAND [OPTIONS] [ARGUMENTS]

commands:
${lines.join('\n')}

Run \`perf-bridge help COMMAND\` or \`perf-bridge COMMAND --help\` for a command's options and examples.
`;
}
