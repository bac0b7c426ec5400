/** Writing probe definitions: the kernel's refusal arrives with errno, code, syscall, hint and error_log. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';

import { KernelError } from '../../src/errors.js';
import { tracefsRoot } from '../../src/tracefs/mount.js';
import { probeLinesOf, writeProbeCommand } from '../../src/tracefs/probe-files.js';
import { probeLines } from '../helpers/tracefs-state.js';

const root = tracefsRoot();
const noUprobes = !existsSync(`${root}/uprobe_events`) && 'kernel has no uprobe_events';

test(
  'the kernel refusing a definition gives errno, code, syscall, the error_log with its caret, and a hint',
  { skip: noUprobes },
  () => {
    // The API checks uprobe targets before writing, so write below it. The name must be free: the
    // kernel would append to an existing event (it is refused anyway, but never risk it).
    const group = `pbrefuse_${process.pid}`;
    assert.deepEqual(probeLinesOf(root, 'uprobe_events', group, 'nofile'), []);
    const before = probeLines('uprobe_events');
    const command = `p:${group}/nofile /nonexistent/binary:0x10`;
    assert.throws(
      () => {
        writeProbeCommand(root, 'uprobe_events', command, `create probe ${group}/nofile`);
      },
      (error: unknown) => {
        assert.ok(error instanceof KernelError, String(error));
        assert.equal(error.code, 'ENOENT');
        assert.equal(error.errno, 2);
        assert.equal(error.syscall, 'write');
        assert.match(error.errorLog ?? '', /Failed to find the given file/);
        assert.match(error.errorLog ?? '', new RegExp(`Command: p:${group}/nofile /nonexistent/binary:0x10\\n\\s+\\^`));
        assert.match(error.message, /hint: the binary does not exist: check the path/);
        return true;
      },
    );
    assert.deepEqual(probeLines('uprobe_events'), before);
  },
);

test('a multi-line command is refused before the write', () => {
  assert.throws(() => {
    writeProbeCommand(root, 'uprobe_events', 'p:a/b /bin/true:0x10\n-:mine/keep', 'create probe a/b');
  }, /refusing to write a multi-line command/);
});
