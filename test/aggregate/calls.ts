/** Aggregating the load generator's pb_target() calls on a real session. */
import assert from 'node:assert/strict';

import type { Aggregation } from '../../src/aggregate/index.js';
import type { EventFormat } from '../../src/decode/format.js';
import type { ProbeInputs } from '../../src/session/options.js';
import { openSession } from '../../src/session/session.js';
import { spawnGated } from '../helpers/processes.js';
import { loadgen } from '../helpers/programs.js';

/**
 * Runs `calls` pb_target() calls of the load generator under `probes(binary)` and feeds every
 * columnar batch to the aggregation `make` builds from the session's formats; asserts that nothing
 * was lost, and returns the aggregation. Should the session not open, the gated generator is
 * killed, so that its open stdin does not keep the test process alive.
 */
export async function aggregateCalls<A extends Aggregation>(
  calls: number,
  probes: (binary: string) => ProbeInputs,
  make: (formats: ReadonlyMap<string, EventFormat>) => A,
): Promise<A> {
  const binary = loadgen();
  const gated = spawnGated(binary, ['call', String(calls)]);
  let session;
  try {
    session = openSession({ probes: probes(binary), pid: gated.child.pid! });
  } catch (error) {
    gated.child.kill();
    throw error;
  }
  const aggregation = make(session.formats);
  session.onColumns((batch) => {
    aggregation.add(batch);
  });
  session.start();
  gated.open();
  await gated.done;
  session.stop();
  const lost = session.stats().lost.total;
  session.close();
  assert.equal(lost, 0);
  return aggregation;
}
