/** FilterError (src/filter/errors.ts): a PerfBridgeError with the expression, caret and hint. */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { PerfBridgeError } from '../../src/errors.js';
import { FilterError, caretLines } from '../../src/filter/errors.js';

test('FilterError carries code, expression, position and event, and the caret in its message', () => {
  const error = new FilterError("unknown field 'fname'", {
    expression: 'fname == "x"',
    position: 0,
    eventName: 'syscalls:sys_enter_openat',
    hint: "did you mean 'filename'?",
  });
  assert.ok(error instanceof PerfBridgeError);
  assert.equal(error.name, 'FilterError');
  assert.equal(error.code, 'BAD_FILTER');
  assert.deepEqual(
    [error.expression, error.position, error.eventName],
    ['fname == "x"', 0, 'syscalls:sys_enter_openat'],
  );
  assert.equal(
    error.message,
    "bad filter for syscalls:sys_enter_openat: unknown field 'fname'\n  fname == \"x\"\n  ^\n  hint: did you mean 'filename'?",
  );
});

test('the caret line stays aligned over control characters and at the end of the text', () => {
  assert.equal(caretLines('a\tb\u0001c', 4), '  a b?c\n      ^');
  assert.equal(caretLines('a &&', 4), '  a &&\n      ^');
});

test('a long expression is shown as a window around the caret, marked with ellipses', () => {
  const text = `${'x'.repeat(200)}!${'y'.repeat(200)}`;
  const [shown, caret] = caretLines(text, 200).split('\n');
  assert.ok(shown !== undefined && caret !== undefined);
  assert.ok(shown.startsWith('  …') && shown.endsWith('…'));
  assert.equal(shown[caret.length - 1], '!');
  assert.ok(shown.length < 130);
});
