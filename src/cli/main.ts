#!/usr/bin/env node
/** The `perf-bridge` command. */
import { parseFormat } from '../decode/format.js';
import { PerfBridgeError } from '../errors.js';
import { listEvents, parseEventName, readEventFormat } from '../tracefs/events.js';
import { USAGE, parseCli } from './args.js';
import { runTrace } from './trace.js';

async function main(argv: string[]): Promise<number> {
  const command = parseCli(argv);
  switch (command.kind) {
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return 0;
    case 'list':
      for (const event of listEvents()) {
        if (command.filter === undefined || event.includes(command.filter)) process.stdout.write(`${event}\n`);
      }
      return 0;
    case 'format': {
      const format = parseFormat(readEventFormat(parseEventName(command.event)));
      for (const field of format.fields) {
        process.stdout.write(`${field.name}\t${field.cType}\toffset ${field.offset}\tsize ${field.size}\t${JSON.stringify(field.decoding)}\n`);
      }
      return 0;
    }
    case 'trace':
      return runTrace(command);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    // Exit now: after Ctrl-C or a closed pipe, a write to a reader that no longer reads may still
    // be pending and would keep the process alive.
    process.exit(code);
  },
  (error: unknown) => {
    const message = error instanceof PerfBridgeError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`perf-bridge: ${message}\n`);
    process.exitCode = 2;
  },
);
