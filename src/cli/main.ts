#!/usr/bin/env -S node --max-semi-space-size=1
/**
 * The `perf-bridge` command.
 *
 * Its V8 young generation is held at 1 MiB a semi-space (the shebang), where V8 would grow it to
 * 16 MiB as a capture runs: each first touch of a new page costs ~40 µs on the VMs this was
 * measured on, and growing mid-flood stalled the reader for milliseconds while the ring filled.
 * At 1 MiB its pages are all touched during the start-up warm-up (benchmarks/README.md, issue 11).
 */
import { listEvents } from '../tracefs/events.js';
import { tracefsRoot } from '../tracefs/mount.js';
import { parseCli } from './args.js';
import { EXIT_TRACE_FAILED, describeFailure, exitStatusFor } from './failure.js';
import { formatCommandOutput } from './format-command.js';
import { commandHelp, overviewHelp } from './help.js';
import { OutputWriteError } from './output-failure.js';
import { isReaderGone } from './output.js';
import { runProbesCommand } from './probes-command.js';

/**
 * Writes `text` to stdout and resolves once it is written: `list | head` ends quietly, a stdout
 * that cannot be written (a full disk) rejects with an {@link OutputWriteError}.
 */
function print(text: string): Promise<void> {
  // The write callback reports the error; this listener only keeps it from also being "unhandled".
  process.stdout.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    process.stdout.write(text, (error) => {
      if (error && !isReaderGone(error)) reject(new OutputWriteError(error));
      else resolve();
    });
  });
}

async function main(argv: string[]): Promise<number> {
  const command = parseCli(argv);
  switch (command.kind) {
    case 'help':
      await print(command.topic === undefined ? overviewHelp() : commandHelp(command.topic));
      return 0;
    case 'list': {
      const events = listEvents().filter((event) => command.filter === undefined || event.includes(command.filter));
      await print(events.map((event) => `${event}\n`).join(''));
      return 0;
    }
    case 'format':
      await print(formatCommandOutput(command.event, command.typescript));
      return 0;
    case 'probes': {
      const result = runProbesCommand(tracefsRoot(), command.cleanup);
      if (result.warning !== undefined) process.stderr.write(result.warning);
      await print(result.output);
      return result.status;
    }
    case 'query': {
      const { runQuery } = await import('./query-command.js');
      await print(await runQuery(command.database, command.sql, command.format));
      return 0;
    }
    case 'collect': {
      const { runCollect } = await import('./collect-command.js');
      return runCollect(command);
    }
    case 'trace': {
      // Loaded only for trace: help, list, format and probes start without the capture machinery.
      const { runTrace } = await import('./trace.js');
      return runTrace(command);
    }
  }
}

/**
 * Prints the error (see failure.ts: a stack only for a bug) and exits. Exiting at once also ends a
 * command still held before its exec: its gate closes with us.
 */
function fail(error: unknown, status: number): never {
  process.stderr.write(describeFailure(error));
  process.exit(status);
}

// Errors thrown outside main's promise (an event listener, a stray rejection) still get the same
// treatment rather than Node's default stack trace; they happen while a trace runs.
process.on('uncaughtException', (error) => fail(error, EXIT_TRACE_FAILED));
process.on('unhandledRejection', (error) => fail(error, EXIT_TRACE_FAILED));

main(process.argv.slice(2)).then(
  (code) => {
    // Exit now: after Ctrl-C or a closed pipe, a write to a reader that no longer reads may still
    // be pending and would keep the process alive.
    process.exit(code);
  },
  (error: unknown) => fail(error, exitStatusFor(error)),
);
