/**
 * Splits a command's arguments into options and positionals, in the order given: `--filter`
 * belongs to the event right before it, which node:util's parseArgs would not tell. The arguments
 * after `--` (the command to run) are not passed here.
 */
import { UsageError } from '../failure.js';
import { nearestOption } from '../suggest-option.js';
import type { OptionSpec } from './options.js';

/** One option as given, with its value. */
export interface OptionToken {
  kind: 'option';
  spec: OptionSpec;
  /** The value; undefined for a flag, or an optional value left out. */
  value: string | undefined;
  /** How the user wrote the option (`-p`, `--pid`), for messages. */
  written: string;
}

/** One argument that is not an option (an event, a probe, a name). */
export interface PositionalToken {
  kind: 'positional';
  value: string;
}

/** An argument, in command-line order. */
export type ArgToken = OptionToken | PositionalToken;

/**
 * True for an argument that reads as an option. A negative number is not one: after `--count`
 * it is the value, which the range check then names (`--count must be a positive integer`).
 */
function looksLikeOption(arg: string): boolean {
  return arg.length > 1 && arg.startsWith('-') && !/^-[\d.]/.test(arg);
}

function unknownOption(written: string, options: readonly OptionSpec[], command: string): UsageError {
  const nearest = nearestOption(written, options);
  const suggestion = nearest === undefined ? '' : ` (did you mean ${nearest}?)`;
  return new UsageError(`unknown option ${written} for ${command}${suggestion}`);
}

/** The value of a value option: glued (`--x=V`, `-pV`), else the next argument unless it is an option. */
function takeValue(
  spec: OptionSpec,
  written: string,
  glued: string | undefined,
  next: string | undefined,
): { value: string | undefined; usedNext: boolean } {
  if (glued !== undefined) return { value: glued, usedNext: false };
  if (spec.optionalValue === true) {
    const accepted = next !== undefined && spec.acceptsNext?.(next) === true;
    return { value: accepted ? next : undefined, usedNext: accepted };
  }
  if (next === undefined || looksLikeOption(next)) {
    throw new UsageError(`${written} needs a value: ${written} ${spec.value ?? 'VALUE'}`);
  }
  return { value: next, usedNext: true };
}

/** Reads `args` against the options of `command`; throws a {@link UsageError} for an unknown or incomplete option. */
export function scanArguments(args: readonly string[], options: readonly OptionSpec[], command: string): ArgToken[] {
  const tokens: ArgToken[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!looksLikeOption(arg)) {
      tokens.push({ kind: 'positional', value: arg });
      continue;
    }
    let spec: OptionSpec | undefined;
    let written: string;
    let glued: string | undefined;
    if (arg.startsWith('--')) {
      const equals = arg.indexOf('=');
      written = equals < 0 ? arg : arg.slice(0, equals);
      glued = equals < 0 ? undefined : arg.slice(equals + 1);
      spec = options.find((option) => `--${option.long}` === written);
    } else {
      written = arg.slice(0, 2);
      spec = options.find((option) => option.short === arg[1]);
      // `-p1234`: a value glued to a short option; anything else glued (`-count`) is unknown.
      if (arg.length > 2) {
        if (spec?.value === undefined) spec = undefined;
        else glued = arg.slice(2);
      }
    }
    if (spec === undefined) throw unknownOption(arg.startsWith('--') ? written : arg, options, command);
    if (spec.value === undefined) {
      if (glued !== undefined) throw new UsageError(`${written} takes no value, got "${arg}"`);
      tokens.push({ kind: 'option', spec, value: undefined, written });
      continue;
    }
    const { value, usedNext } = takeValue(spec, written, glued, args[i + 1]);
    if (usedNext) i++;
    tokens.push({ kind: 'option', spec, value, written });
  }
  return tokens;
}
