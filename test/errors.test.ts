/**
 * The error hierarchy (src/errors.ts): every KernelError comes from a real errno through one
 * factory, which names the errno as Node does and adds the usual fix; an error without an errno is
 * never passed off as the kernel's refusal.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { test } from 'node:test';

import { KernelError, PerfBridgeError, TracefsUnavailableError, kernelError, kernelErrorFrom } from '../src/errors.js';

test('kernelError names the errno as Node does, keeps the syscall, and hints at the usual fix', () => {
  const denied = kernelError({ errno: constants.errno.EACCES, syscall: 'perf_event_open', message: 'opening x' });
  assert.ok(denied instanceof KernelError && denied instanceof PerfBridgeError);
  assert.deepEqual([denied.errno, denied.code, denied.syscall], [13, 'EACCES', 'perf_event_open']);
  assert.match(denied.hint, /CAP_PERFMON/);
  assert.equal(denied.message, `opening x\n  hint: ${denied.hint}`);
  // libuv's name for 95, as in Node's own errors; EDQUOT is one libuv does not know.
  assert.equal(kernelError({ errno: 95, syscall: 'ioctl', message: 'm' }).code, 'ENOTSUP');
  assert.equal(kernelError({ errno: constants.errno.EDQUOT, syscall: 'write', message: 'm' }).code, 'EDQUOT');
});

test('kernelError keeps a given hint and appends the error_log lines', () => {
  const error = kernelError({
    errno: constants.errno.EINVAL,
    syscall: 'write',
    message: 'cannot create probe g/e',
    hint: 'look at the caret',
    errorLog: '[  1.0] trace_kprobe: error: Invalid argument\n  Command: p x\n            ^\n',
  });
  assert.equal(error.code, 'EINVAL');
  assert.equal(error.hint, 'look at the caret');
  assert.equal(
    error.message,
    'cannot create probe g/e\n  kernel error_log:\n    [  1.0] trace_kprobe: error: Invalid argument\n' +
      '      Command: p x\n                ^\n  hint: look at the caret',
  );
});

test('kernelErrorFrom takes errno and syscall from the failed call and quotes its message cut', () => {
  const path = `/nonexistent/${'x'.repeat(300)}`;
  let failure: unknown;
  try {
    readFileSync(path);
  } catch (error) {
    failure = error;
  }
  const error = kernelErrorFrom(failure, 'reading a file');
  assert.deepEqual([error.errno, error.code, error.syscall], [2, 'ENOENT', 'open']);
  assert.equal(error.cause, failure);
  assert.match(
    error.message,
    /^reading a file: ENOENT: no such file or directory, open '\/nonexistent\/x+… \(\d+ characters\)/,
  );
});

test('kernelErrorFrom rethrows an error without an errno: a bug is not the kernel refusing', () => {
  const bug = new TypeError('Capture: events, cpus and a power-of-two ringPages are required');
  assert.throws(
    () => kernelErrorFrom(bug, 'opening perf events'),
    (error: unknown) => error === bug,
  );
  assert.throws(
    () => kernelErrorFrom('text', 'opening perf events'),
    (error: unknown) => error === 'text',
  );
});

test('a refusal without a failed system call is no KernelError, but has a code and a hint', () => {
  const error = new TracefsUnavailableError('tracefs is not mounted', {
    code: 'TRACEFS_NOT_MOUNTED',
    hint: 'mount it',
  });
  assert.ok(error instanceof PerfBridgeError && !(error instanceof KernelError));
  assert.equal(error.code, 'TRACEFS_NOT_MOUNTED');
  assert.equal(error.message, 'tracefs is not mounted\n  hint: mount it');
  assert.equal(error.name, 'TracefsUnavailableError');
});
