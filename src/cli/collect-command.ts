/** `perf-bridge collect`: the NATS collector until Ctrl-C, SIGTERM or --idle, with a summary on stderr. */
import { collect } from '../ship/index.js';
import type { CollectCommand } from './args.js';

/** The signals that stop the collector after its current round. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Runs the collector; resolves with the exit status. */
export async function runCollect(command: CollectCommand): Promise<number> {
  const stop = new AbortController();
  const onSignal = () => {
    stop.abort();
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  try {
    const summary = await collect(command.servers, command.database, {
      signal: stop.signal,
      ...(command.durable === undefined ? {} : { durable: command.durable }),
      ...(command.idleSeconds === undefined ? {} : { idleSeconds: command.idleSeconds }),
      ...(command.replicas === undefined ? {} : { replicas: command.replicas }),
    });
    process.stderr.write(
      `perf-bridge: ${summary.rows} events in ${summary.batches} batches stored in ${command.database}, ` +
        `${summary.duplicates} duplicate batches skipped, ${summary.runsEnded} runs ended\n`,
    );
    return 0;
  } finally {
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
  }
}
