/** Command-line parsing for `perf-bridge`. */
import { parseArgs } from 'node:util';

import { UsageError } from './failure.js';

/** The parsed `trace` command. */
export interface TraceCommand {
  kind: 'trace';
  /** Tracepoints, as `group:name`. */
  events: string[];
  /** Probe definitions in kernel syntax (a `PATH:SYMBOL` alone means `p PATH:SYMBOL`). */
  probes: string[];
  /** `--count`: events to write before the trace ends (undefined: no limit). */
  count: number | undefined;
  /** `--duration` in seconds (undefined: no limit). */
  durationSeconds: number | undefined;
  format: 'jsonl';
  /** `--ring-pages` (undefined: the session's default). */
  ringPages: number | undefined;
  /** The command to run and trace, from after `--` (undefined: trace system-wide). */
  command: string[] | undefined;
  /** Leave out this process and the readers of its output (`--no-exclude-self` turns it off). */
  excludeSelf: boolean;
}

/** Every command the CLI knows. */
export type CliCommand =
  TraceCommand | { kind: 'list'; filter: string | undefined } | { kind: 'format'; event: string } | { kind: 'help' };

/** The longest `--duration` accepted: ten years, far beyond any trace yet well inside a double's exact range. */
export const MAX_DURATION_SECONDS = 10 * 365 * 24 * 3600;

/** Usage text. */
export const USAGE = `usage:
  perf-bridge trace <group:event | 'PROBE DEFINITION' | PATH:SYMBOL>... [--count N] [--duration SEC]
                    [--format jsonl] [--ring-pages N] [--no-exclude-self] [-- COMMAND ARGS...]
      Capture events and print one JSON object per line on stdout. Probe definitions use the
      kernel's syntax (quote them: 'p:open do_sys_openat2 path=+0(%si):string'); a bare
      /path/to/binary:function or libc.so.6:function is a uprobe on that function. With
      -- COMMAND, run the command and trace only it and its descendants until it exits; SIGINT,
      SIGTERM and SIGHUP are passed on to it. --duration takes seconds (fractions allowed, at
      most ${MAX_DURATION_SECONDS}, ten years). The events of perf-bridge itself and of the
      processes reading its output (| jq) are left out unless --no-exclude-self is given. A
      summary goes to stderr.
  perf-bridge list [SUBSTRING]       list the tracepoints of this kernel
  perf-bridge format <group:event>   show how an event's fields decode
  perf-bridge help`;

/** The options of `trace` that take a value. */
const VALUE_OPTIONS = ['count', 'duration', 'format', 'ring-pages'] as const;

function positiveNumber(name: string, text: string | undefined, kind: 'integer' | 'number', max: number) {
  if (text === undefined) return undefined;
  // Number() alone would take "" as 0 and " 5" or "0x10" as numbers: only plain decimals are meant.
  const n = /^\s*\+?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i.test(text) ? Number(text) : Number.NaN;
  if (!Number.isFinite(n) || n <= 0 || (kind === 'integer' && !Number.isInteger(n))) {
    throw new UsageError(`--${name} must be a positive ${kind}, got "${text}"`);
  }
  if (n > max) throw new UsageError(`--${name} must be at most ${max}, got "${text}"`);
  return n;
}

/**
 * parseArgs takes "-1" after `--count` for an option and refuses it as ambiguous: glue such a
 * negative number to its option, so the range check below names the real problem.
 */
function attachNegativeValues(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const option = args[i]!;
    const next = args[i + 1];
    const takesValue = VALUE_OPTIONS.some((name) => option === `--${name}`);
    if (takesValue && next !== undefined && /^-[\d.]/.test(next)) {
      out.push(`${option}=${next}`);
      i++;
    } else {
      out.push(option);
    }
  }
  return out;
}

/** Rewords parseArgs' errors, whose advice (put it after `--`) would be wrong here: `--` starts the command. */
function optionErrorMessage(error: { code?: string; message: string }): string {
  const option = /'(--?[\w-]+)/.exec(error.message)?.[1];
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${option ?? error.message}`;
  if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return `option ${option ?? ''} needs a value`.trim();
  return error.message;
}

function parseTraceOptions(args: string[]) {
  try {
    return parseArgs({
      args: attachNegativeValues(args),
      allowPositionals: true,
      options: {
        count: { type: 'string' },
        duration: { type: 'string' },
        format: { type: 'string', default: 'jsonl' },
        'ring-pages': { type: 'string' },
        'no-exclude-self': { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    throw new UsageError(optionErrorMessage(error as { code?: string; message: string }));
  }
}

/** Parses argv (without node and the script). Throws a usage error naming the problem. */
export function parseCli(argv: string[]): CliCommand {
  const separator = argv.indexOf('--');
  const own = separator < 0 ? argv : argv.slice(0, separator);
  const command = separator < 0 ? undefined : argv.slice(separator + 1);
  const [verb, ...rest] = own;
  if (verb !== 'trace' && command !== undefined) throw new UsageError(`only trace runs a command (after --)`);
  switch (verb) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      return { kind: 'help' };
    case 'list':
      if (rest.length > 1) throw new UsageError('list takes at most one substring to filter by');
      return { kind: 'list', filter: rest[0] };
    case 'format':
      if (rest.length !== 1) throw new UsageError('format takes exactly one event name, such as sched:sched_switch');
      return { kind: 'format', event: rest[0]! };
    case 'trace':
      break;
    default:
      throw new UsageError(`unknown command "${verb}"`);
  }
  const { values, positionals } = parseTraceOptions(rest);
  if (positionals.length === 0) {
    throw new UsageError('trace needs at least one event, for example sched:sched_process_exec');
  }
  const events: string[] = [];
  const probes: string[] = [];
  for (const item of positionals) {
    if (/\s/.test(item.trim()))
      probes.push(item.trim()); // a definition: kind, place and arguments
    else if (item.startsWith('/') || item.startsWith('./') || /^[^:/]*\.so\b[^:/]*:/.test(item))
      probes.push(`p ${item}`); // PATH:SYMBOL, or LIBRARY.so…:SYMBOL (no tracepoint group has a '.')
    else events.push(item);
  }
  if (values.format !== 'jsonl') throw new UsageError(`--format ${values.format} is not supported; use jsonl`);
  if (command?.length === 0) throw new UsageError('nothing after --: give the command to run');
  return {
    kind: 'trace',
    events,
    probes,
    count: positiveNumber('count', values.count, 'integer', Number.MAX_SAFE_INTEGER),
    durationSeconds: positiveNumber('duration', values.duration, 'number', MAX_DURATION_SECONDS),
    ringPages: positiveNumber('ring-pages', values['ring-pages'], 'integer', Number.MAX_SAFE_INTEGER),
    format: 'jsonl',
    excludeSelf: !values['no-exclude-self'],
    command,
  };
}
