/**
 * The command that `trace -- COMMAND` runs, on the library's held command (src/process/command.ts):
 * what is the CLI's own is its output (while the events go to stdout, the command's stdout goes to
 * stderr, so that stdout carries events only), its error for a command that cannot run, and its
 * exit status.
 */
import { commandProblem } from '../process/command-check.js';
import { type HeldCommand, startHeldCommand } from '../process/command.js';
import { CommandNotRunnableError } from './failure.js';

export type { HeldCommand } from '../process/command.js';

/**
 * Checks `command` and starts it held before its exec: its stdout on our stderr when the events go to
 * stdout (`eventsOnStdout`), else (`-o FILE`) on our stdout. It gets its own
 * process group unless stdin is a terminal (where it must stay in the foreground to read it), so
 * that stopping it reaches its descendants.
 *
 * @throws {@link CommandNotRunnableError} (exit status 127 or 126) when it cannot be run.
 */
export function startCommand(command: readonly string[], eventsOnStdout: boolean): HeldCommand {
  const name = command[0] ?? '';
  const problem = commandProblem(name, { path: process.env.PATH });
  if (problem !== undefined) {
    const hint =
      problem.exitStatus === 126
        ? 'give a program (chmod +x it if it is a script), or run a shell: -- sh -c "..."'
        : problem.hint;
    throw new CommandNotRunnableError(problem.message, { exitStatus: problem.exitStatus, hint });
  }
  return startHeldCommand(command, { stdio: ['inherit', eventsOnStdout ? 2 : 'inherit', 'inherit'] });
}

/**
 * Stops the command and resolves with its exit status: SIGTERM unless a signal was already passed
 * on to it, then the library's grace time to end before SIGKILL.
 */
export async function stopCommand(held: HeldCommand, alreadySignalled: boolean): Promise<number> {
  return (await held.stop({ signal: alreadySignalled ? null : 'SIGTERM' })).status;
}
