/**
 * The table runner of the bad-input tests: each row is one call a user could make with bad input;
 * it must throw a perf-bridge error of the stated class and code, with a hint, and leave nothing
 * behind — no probe line, no open file descriptor, no ownership record.
 *
 * Importing this module points perf-bridge's ownership registry at a private directory of its own
 * (mkdtemp, mode 0700), so that "no record remains" is checked where records would go and no
 * other perf-bridge process's records are touched; the directory is removed when the file's tests end.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

import { PerfBridgeError } from '../../src/errors.js';
import { KERNEL_OOPS, kernelLogMark, readKernelLog } from '../helpers/kernel-log.js';
import { openFds } from '../helpers/processes.js';
import { allProbeLines } from '../helpers/tracefs-state.js';

const registryDir = mkdtempSync(join(tmpdir(), 'pb-bad-input-registry-'));
chmodSync(registryDir, 0o700);
process.env.PERF_BRIDGE_REGISTRY_DIR = registryDir;
const kernelMark = kernelLogMark();

after(() => {
  assert.deepEqual(readdirSync(registryDir), [], 'no ownership record (or lock) may remain');
  rmSync(registryDir, { recursive: true });
  const oopses = readKernelLog().filter((record) => record.seq > kernelMark && KERNEL_OOPS.test(record.text));
  assert.deepEqual(
    oopses.map((record) => record.text),
    [],
    'the kernel must not have oopsed',
  );
});

/** Every group a row may name starts with this, so its probe lines can be told from other tools'. */
export const TEST_GROUP = 'pbbad';

/** A perf-bridge error class, for `instanceof`. */
type ErrorClass = abstract new (...args: never[]) => PerfBridgeError;

/** One bad input: the call, and the error it must raise. */
export interface BadInput {
  /** What is wrong with the input, as the test's name. */
  readonly name: string;
  /** The call that must throw. */
  readonly run: () => unknown;
  readonly error: ErrorClass;
  readonly code: string;
  /** Must match the message (which ends with the hint). */
  readonly message?: RegExp | undefined;
}

/** The longest message a row may produce: user input is cut to ~200 characters in messages. */
const MAX_MESSAGE_LENGTH = 1500;

/**
 * The probe lines this process could have created: in its own groups (`perfbridge_<pid>_<n>`) or
 * in a group a row names. Lines of other tools, which may come and go while these tests run on a
 * shared host, are not compared.
 */
function ourProbeLines(): string[] {
  return allProbeLines().filter(
    (line) => line.includes(`:perfbridge_${process.pid}_`) || line.includes(`:${TEST_GROUP}`),
  );
}

/** What a failed call must leave as it found it. */
function hostState(): { probeLines: string[]; fds: string[]; registry: string[] } {
  return { probeLines: ourProbeLines(), fds: openFds(), registry: readdirSync(registryDir) };
}

function caught(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return assert.fail('the call did not throw');
}

/** Registers one test per row under `theme`. */
export function testBadInputs(theme: string, rows: readonly BadInput[]): void {
  describe(theme, () => {
    for (const row of rows) {
      test(row.name, () => {
        const before = hostState();
        const error = caught(row.run);
        assert.ok(error instanceof row.error, `expected a ${row.error.name}, got ${String(error)}`);
        assert.ok(error instanceof PerfBridgeError);
        const fields = error as PerfBridgeError & { code?: unknown };
        assert.equal(fields.code, row.code, error.message);
        assert.ok(typeof error.hint === 'string' && error.hint.trim() !== '', `no hint: ${error.message}`);
        if (row.message) assert.match(error.message, row.message);
        assert.ok(error.message.length <= MAX_MESSAGE_LENGTH, `message of ${error.message.length} characters`);
        assert.deepEqual(hostState(), before, 'nothing may be left behind');
      });
    }
  });
}
