/**
 * Whether a command can be run, checked before anything is set up for it: a held command only
 * fails at its exec, after the tracing was prepared, with no more than the shell's "not found".
 */
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

import { OptionError, PerfBridgeError, quoteInput } from '../errors.js';

/** Why a command cannot run, with the status a shell would exit with. */
export interface CommandProblem {
  /** `COMMAND_NOT_FOUND` (status 127) or `COMMAND_NOT_EXECUTABLE` (status 126). */
  code: 'COMMAND_NOT_FOUND' | 'COMMAND_NOT_EXECUTABLE';
  /** 127: not found; 126: found but not executable — as env(1) and the shells report them. */
  exitStatus: 126 | 127;
  /** What is wrong, naming the command: `cannot run "x": not found in PATH`. */
  message: string;
  /** What to do about it. */
  hint: string;
}

/**
 * A command that cannot be started: not found (`COMMAND_NOT_FOUND`, status 127), not executable
 * (`COMMAND_NOT_EXECUTABLE`, 126), a working directory that is not one (`BAD_CWD`), or a system
 * that refused a new process (`COMMAND_NOT_STARTED`). Nothing was started.
 */
export class CommandError extends PerfBridgeError {
  /** Why the command cannot be started. */
  readonly code: CommandProblem['code'] | 'BAD_CWD' | 'COMMAND_NOT_STARTED';
  /** The status a shell would exit with (126, 127), when there is one. */
  readonly exitStatus: 126 | 127 | undefined;
  constructor(
    message: string,
    fields: { code: CommandError['code']; exitStatus?: 126 | 127 | undefined; hint: string; cause?: unknown },
  ) {
    super(message, { hint: fields.hint, cause: fields.cause });
    this.code = fields.code;
    this.exitStatus = fields.exitStatus;
  }
}

/** Where a command is looked up: the PATH and working directory it will be started with. */
export interface CommandLookup {
  /** The PATH the command gets (that of its `env`); /usr/bin:/bin when it has none, as in the CLI. */
  path?: string | undefined;
  /** The directory it starts in: names with a slash, and empty PATH entries, are relative to it. */
  cwd?: string | undefined;
}

function runnable(path: string): 'yes' | 'missing' | 'not executable' {
  try {
    if (statSync(path).isDirectory()) return 'not executable';
    accessSync(path, fsConstants.X_OK);
    return 'yes';
  } catch (error) {
    const code = (error as { code?: string }).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : 'not executable';
  }
}

/**
 * Why `name` is not something exec can run, or undefined when it is: a name with a slash is a path
 * (relative to `lookup.cwd`), any other is searched for in `lookup.path` as the shell's exec does.
 */
export function commandProblem(name: string, lookup: CommandLookup = {}): CommandProblem | undefined {
  const cwd = lookup.cwd ?? process.cwd();
  const candidates = name.includes('/')
    ? [name]
    : (lookup.path ?? '/usr/bin:/bin').split(':').map((dir) => join(dir || '.', name));
  let found = false;
  for (const path of candidates) {
    const state = runnable(isAbsolute(path) ? path : resolve(cwd, path));
    if (state === 'yes') return undefined;
    if (state === 'not executable') found = true;
  }
  if (found) {
    return {
      code: 'COMMAND_NOT_EXECUTABLE',
      exitStatus: 126,
      message: `cannot run ${quoteInput(name)}: it is not an executable file`,
      hint: "give a program (chmod +x it if it is a script), or run it with a shell: ['sh', '-c', '...']",
    };
  }
  return {
    code: 'COMMAND_NOT_FOUND',
    exitStatus: 127,
    message: `cannot run ${quoteInput(name)}: ${name.includes('/') ? 'no such file' : 'not found in PATH'}`,
    hint: 'check the command name, or give its full path',
  };
}

/**
 * Checks that `argv` is a command line (a non-empty list of strings without NUL characters),
 * refused with {@link OptionError} (option `command`): spawn would refuse it only later.
 */
export function checkArgv(argv: unknown): asserts argv is readonly string[] {
  const hint = "give the command as a list of strings, program first: ['ls', '-l']";
  if (!Array.isArray(argv)) {
    throw new OptionError(`a command must be a list of strings, got ${typeof argv}`, {
      code: 'BAD_OPTION_TYPE',
      option: 'command',
      hint,
    });
  }
  if (argv.length === 0) {
    throw new OptionError('the command is empty', { option: 'command', hint });
  }
  const items: unknown[] = argv;
  const bad = items.findIndex((arg) => typeof arg !== 'string' || arg.includes('\0'));
  if (bad !== -1) {
    const arg = items[bad];
    const what = typeof arg === 'string' ? `${quoteInput(arg)} contains a NUL character` : `is a ${typeof arg}`;
    throw new OptionError(`argument ${bad} of the command ${what}`, {
      code: typeof arg === 'string' ? 'BAD_OPTION_VALUE' : 'BAD_OPTION_TYPE',
      option: 'command',
      hint,
    });
  }
  if (argv[0] === '') {
    throw new OptionError('the command name is empty', { option: 'command', hint });
  }
}

/** Checks that `cwd` is a directory the command can start in: spawn would blame /bin/sh instead. */
export function checkCwd(cwd: string): void {
  let why: string;
  let cause: unknown;
  try {
    if (statSync(cwd).isDirectory()) return;
    why = 'it is not a directory';
  } catch (error) {
    cause = error;
    const code = (error as { code?: string }).code;
    why = code === 'ENOENT' || code === 'ENOTDIR' ? 'no such directory' : `it cannot be read (${String(code)})`;
  }
  throw new CommandError(`cannot start the command in ${quoteInput(cwd)}: ${why}`, {
    code: 'BAD_CWD',
    hint: 'give an existing directory as cwd',
    cause,
  });
}

/** Throws the {@link CommandError} for {@link commandProblem}'s answer, if any. */
export function checkRunnable(name: string, lookup: CommandLookup = {}): void {
  const problem = commandProblem(name, lookup);
  if (problem !== undefined) {
    throw new CommandError(problem.message, { code: problem.code, exitStatus: problem.exitStatus, hint: problem.hint });
  }
}
