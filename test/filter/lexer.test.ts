/** The token readers of src/filter/lexer.ts, which read text the way parse_pred does. */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Scanner, isKernelSpace } from '../../src/filter/lexer.js';

test("whitespace is the kernel's: space and \\t to \\r", () => {
  for (const c of [' ', '\t', '\n', '\v', '\f', '\r']) assert.ok(isKernelSpace(c), JSON.stringify(c));
  for (const c of ['\u00a0', '\u2003', 'a', '', undefined]) assert.ok(!isKernelSpace(c), JSON.stringify(c));
});

test('operators are tried in the kernel order, so <= wins over <, and && reads as &', () => {
  const operator = (text: string) => new Scanner(text).readOperator()?.text;
  assert.equal(operator('<= 1'), '<=');
  assert.equal(operator('< 1'), '<');
  assert.equal(operator('>=1'), '>=');
  assert.equal(operator('!=1'), '!=');
  assert.equal(operator('&&'), '&');
  assert.equal(operator('=1'), undefined);
  assert.equal(operator('!~'), undefined);
});

test('a number runs over letters and digits; a function name up to whitespace', () => {
  assert.equal(new Scanner('-0x1fg)').readNumber().text, '-0x1fg');
  assert.equal(new Scanner('12&&').readNumber().text, '12');
  assert.equal(new Scanner('do_sys_open)&&x').readSymbol().text, 'do_sys_open)&&x');
  assert.equal(new Scanner('foo.isra.0 ').readSymbol().text, 'foo.isra.0');
});

test('a string ends at the same quote, with no escapes', () => {
  assert.equal(new Scanner(`"a'b" x`).readString().text, `"a'b"`);
  assert.equal(new Scanner(`'a"b'`).readString().text, `'a"b'`);
  assert.equal(new Scanner('"a\\"b"').readString().text, '"a\\"');
});

test('CPUS{…} runs to the first closing brace', () => {
  assert.equal(new Scanner('CPUS{0-3, 5}) && x').readCpus().text, 'CPUS{0-3, 5}');
});
