/** Command-line parsing for `perf-bridge`. */
import { parseArgs } from 'node:util';

import { PerfBridgeError } from '../errors.js';

/** The parsed `trace` command. */
export interface TraceCommand {
  kind: 'trace';
  /** Tracepoints, as `group:name`. */
  events: string[];
  /** Probe definitions in kernel syntax (a `PATH:SYMBOL` alone means `p PATH:SYMBOL`). */
  probes: string[];
  count?: number;
  durationSeconds?: number;
  format: 'jsonl';
  ringPages?: number;
  /** The command to run and trace, from after `--`. */
  command?: string[];
}

/** Every command the CLI knows. */
export type CliCommand =
  | TraceCommand
  | { kind: 'list'; filter?: string }
  | { kind: 'format'; event: string }
  | { kind: 'help' };

/** Usage text. */
export const USAGE = `usage:
  perf-bridge trace <group:event | 'PROBE DEFINITION' | PATH:SYMBOL>... [--count N] [--duration SEC] [--format jsonl] [--ring-pages N] [-- COMMAND ARGS...]
      Capture events and print one JSON object per line on stdout. Probe definitions use the
      kernel's syntax (quote them: 'p:open do_sys_openat2 path=+0(%si):string'); a bare
      /path/to/binary:function is a uprobe on that function. With -- COMMAND, run the command and
      trace only it and its descendants until it exits. A summary goes to stderr.
  perf-bridge list [SUBSTRING]       list the tracepoints of this kernel
  perf-bridge format <group:event>   show how an event's fields decode
  perf-bridge help`;

function usageError(message: string): PerfBridgeError {
  return new PerfBridgeError(message, { hint: `run \`perf-bridge help\` for usage` });
}

function positiveNumber(name: string, text: string | undefined, integer: boolean): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw usageError(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got "${text}"`);
  }
  return n;
}

/** Parses argv (without node and the script). Throws a usage error naming the problem. */
export function parseCli(argv: string[]): CliCommand {
  const separator = argv.indexOf('--');
  const own = separator < 0 ? argv : argv.slice(0, separator);
  const command = separator < 0 ? undefined : argv.slice(separator + 1);
  const [verb, ...rest] = own;
  switch (verb) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      return { kind: 'help' };
    case 'list':
      return { kind: 'list', filter: rest[0] };
    case 'format':
      if (rest.length !== 1) throw usageError('format takes exactly one event name');
      return { kind: 'format', event: rest[0]! };
    case 'trace':
      break;
    default:
      throw usageError(`unknown command "${verb}"`);
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        count: { type: 'string' },
        duration: { type: 'string' },
        format: { type: 'string', default: 'jsonl' },
        'ring-pages': { type: 'string' },
      },
    });
  } catch (error) {
    throw usageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (positionals.length === 0) throw usageError('trace needs at least one event, for example sched:sched_process_exec');
  const events: string[] = [];
  const probes: string[] = [];
  for (const item of positionals) {
    if (/\s/.test(item.trim())) probes.push(item.trim()); // a definition: kind, place and arguments
    else if (item.startsWith('/') || item.startsWith('./')) probes.push(`p ${item}`); // PATH:SYMBOL
    else events.push(item);
  }
  if (values.format !== 'jsonl') throw usageError(`--format ${values.format} is not supported; use jsonl`);
  if (command !== undefined && command.length === 0) throw usageError('nothing after --: give the command to run');
  return {
    kind: 'trace',
    events,
    probes,
    count: positiveNumber('count', values.count, true),
    durationSeconds: positiveNumber('duration', values.duration, false),
    ringPages: positiveNumber('ring-pages', values['ring-pages'], true),
    format: 'jsonl',
    command,
  };
}
