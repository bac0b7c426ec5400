/**
 * Numbers as the kernel's kstrtoull/kstrtoll read them in base 0 (src/filter/numbers.ts), and the
 * check that a value fits its field.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { fitsField, parseKernelInteger, unsignedPattern } from '../../src/filter/numbers.js';

const value = (text: string, signed: boolean) => {
  const parsed = parseKernelInteger(text, signed);
  return parsed.ok ? parsed.value : parsed.reason;
};

test('decimal, 0x hexadecimal and 0 octal, like kstrtoull in base 0', () => {
  assert.equal(value('42', false), 42n);
  assert.equal(value('0', false), 0n);
  assert.equal(value('00', false), 0n);
  assert.equal(value('0x1F', false), 31n);
  assert.equal(value('0X1f', false), 31n);
  assert.equal(value('017', false), 15n);
  assert.equal(value('18446744073709551615', false), (1n << 64n) - 1n);
  assert.equal(value('0xffffffffffffffff', false), (1n << 64n) - 1n);
});

test('what kstrtoull refuses: octal 8 and 9, a bare 0x, letters, 65 bits, a minus', () => {
  assert.match(String(value('08', false)), /'8' is no octal digit/);
  assert.match(String(value('0x', false)), /not a valid octal number/);
  assert.match(String(value('0xg', false)), /not a valid octal number/);
  assert.match(String(value('12ab', false)), /not a valid decimal number/);
  assert.match(String(value('0b101', false)), /not a valid octal number/);
  assert.match(String(value('18446744073709551616', false)), /does not fit in 64 bits/);
  assert.match(String(value('-1', false)), /negative number, for an unsigned field/);
});

test('signed fields take a minus and the 64-bit signed range, like kstrtoll', () => {
  assert.equal(value('-1', true), -1n);
  assert.equal(value('-0x10', true), -16n);
  assert.equal(value('-010', true), -8n);
  assert.equal(value('-9223372036854775808', true), -(1n << 63n));
  assert.equal(value('9223372036854775807', true), (1n << 63n) - 1n);
  assert.match(String(value('9223372036854775808', true)), /above the 64-bit signed range/);
  assert.match(String(value('-9223372036854775809', true)), /below the 64-bit signed range/);
  assert.match(String(value('-', true)), /not a number/);
  assert.match(String(value('--1', true)), /not a valid decimal number/);
});

test('at most 23 characters, the size of the kernel buffer less its NUL', () => {
  assert.equal(value('01777777777777777777777', false), (1n << 64n) - 1n);
  assert.match(String(value('000000000000000000000001', false)), /24 characters long/);
});

test('a value fits its field when the kernel would compare it unchanged', () => {
  assert.ok(fitsField(255n, 1, false));
  assert.ok(!fitsField(256n, 1, false));
  assert.ok(fitsField(-128n, 1, true));
  assert.ok(!fitsField(-129n, 1, true));
  assert.ok(fitsField(0xffffffffn, 4, true), 'a bit pattern of a signed field');
  assert.ok(!fitsField(0x100000000n, 4, true));
  assert.ok(fitsField((1n << 64n) - 1n, 8, false));
  assert.equal(unsignedPattern(-100n, 8), '0xffffffffffffff9c');
  assert.equal(unsignedPattern(-1n, 2), '0xffff');
});
