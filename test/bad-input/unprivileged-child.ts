/**
 * Run by unprivileged.test.ts as user nobody: makes calls that need tracefs and prints, as one
 * JSON line, how each failed. Takes the path of an ELF file with a code offset to probe.
 */
import { PerfBridgeError } from '../../src/errors.js';
import { DEFAULT_TRACEFS_PATH, tracefsRoot } from '../../src/tracefs/mount.js';
import { listEvents, readEventId } from '../../src/tracefs/events.js';
import { openSession } from '../../src/session/session.js';

/** How one call failed, as the parent test checks it. */
export interface UnprivilegedOutcome {
  call: string;
  className?: string | undefined;
  isPerfBridgeError?: boolean | undefined;
  code?: string | undefined;
  hint?: string | undefined;
  message?: string | undefined;
}

const [probePoint = ''] = process.argv.slice(2);
const calls: Record<string, () => unknown> = {
  tracefsRoot: () => tracefsRoot(),
  listEvents: () => listEvents(DEFAULT_TRACEFS_PATH),
  readEventId: () => readEventId({ group: 'sched', name: 'sched_switch' }, DEFAULT_TRACEFS_PATH),
  openSessionOnEvent: () => openSession({ events: ['sched:sched_switch'] }),
  openSessionOnUprobe: () => openSession({ probes: [`p ${probePoint}`] }),
};

const outcomes: UnprivilegedOutcome[] = Object.entries(calls).map(([call, run]) => {
  try {
    run();
    return { call };
  } catch (error) {
    const fields = error as Error & { code?: string; hint?: string };
    const isPerfBridgeError = error instanceof PerfBridgeError;
    const { code, hint, message } = fields;
    return { call, className: fields.constructor.name, isPerfBridgeError, code, hint, message };
  }
});
process.stdout.write(`${JSON.stringify(outcomes)}\n`);
