/**
 * The address-space records of the side-band (exec COMMs, FORKs, EXITs, MMAP2s) reach the
 * symbolizer in time order, whatever ring order a batch holds them in.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { readAddressSpaces } from '../../src/decode/side-band.js';
import type { Mapping } from '../../src/symbols/process-maps.js';
import type { MappingListener } from '../../src/symbols/symbolizer.js';
import { encodeComm, encodeMmap2, encodeTask } from '../helpers/sample-records.js';

/** Writes down what it is told, in order. */
function recorder(): MappingListener & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    mapped: (pid: number, mapping: Mapping) =>
      calls.push(`mapped ${pid} ${mapping.path} ${mapping.start.toString(16)}`),
    processForked: (parent: number, child: number) => calls.push(`forked ${parent} ${child}`),
    processExec: (pid: number) => calls.push(`exec ${pid}`),
    processExited: (pid: number) => calls.push(`exited ${pid}`),
  };
}

function read(records: Buffer[]): string[] {
  const batch = Buffer.concat(records);
  const listener = recorder();
  readAddressSpaces(batch, new DataView(batch.buffer, batch.byteOffset, batch.length), batch.length, listener);
  return listener.calls;
}

const PROGRAM = { start: 0x555500001000n, length: 0x2000n, pageOffset: 0x1000n, path: '/usr/bin/prog', inode: 7n };

test('an exec read after its own mmaps (another CPU’s ring) is applied before them', () => {
  // CPU 0's ring first: the new program's mapping; then CPU 1's: the exec that came before it.
  const calls = read([encodeMmap2(42, PROGRAM, 200n), encodeComm(42, 42, 'prog', 100n, true)]);
  assert.deepEqual(calls, ['exec 42', 'mapped 42 /usr/bin/prog 555500001000']);
});

test('process forks and exits are passed on, thread ones and renames are not', () => {
  const calls = read([
    encodeTask('fork', { pid: 43, tid: 43, ppid: 42, ptid: 42 }, 10n),
    encodeTask('fork', { pid: 43, tid: 44, ppid: 43, ptid: 43 }, 20n), // a thread of 43
    encodeComm(43, 43, 'renamed', 30n), // prctl(PR_SET_NAME): no exec
    encodeTask('exit', { pid: 43, tid: 44, ppid: 43, ptid: 43 }, 40n),
    encodeTask('exit', { pid: 43, tid: 43, ppid: 42, ptid: 42 }, 50n),
  ]);
  assert.deepEqual(calls, ['forked 42 43', 'exited 43']);
});

test('anonymous executable memory (a JIT) is no mapping of a file', () => {
  const jit = { ...PROGRAM, path: '//anon', inode: 0n };
  assert.deepEqual(read([encodeMmap2(42, jit, 10n)]), []);
});
