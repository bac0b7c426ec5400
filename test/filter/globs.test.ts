/** How the kernel reads `~` patterns (src/filter/globs.ts, after filter_parse_regex). */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { bracketLeadingDigit, classifyPattern, isLiteralDigitGlob } from '../../src/filter/globs.js';

test('a * at the ends is a prefix, suffix or substring match; inside, or ?, [ and \\, a full glob', () => {
  const match = (pattern: string) => classifyPattern(pattern).match;
  assert.equal(match('bash'), 'full');
  assert.equal(match('ba*'), 'front');
  assert.equal(match('*sh'), 'end');
  assert.equal(match('*as*'), 'middle');
  assert.equal(match('*'), 'end');
  assert.equal(match('**'), 'middle');
  assert.equal(match('b*h'), 'glob');
  assert.equal(match('b?sh'), 'glob');
  assert.equal(match('[bz]sh'), 'glob');
  assert.equal(match('a\\*'), 'glob');
  assert.equal(match(''), 'full');
});

test('a leading ! negates the pattern', () => {
  assert.deepEqual(classifyPattern('!swapper*'), { negated: true, body: 'swapper*', match: 'front' });
  assert.deepEqual(classifyPattern('!'), { negated: true, body: '', match: 'full' });
});

test('a pattern starting with a digit is compared literally, which matters only with glob characters', () => {
  assert.equal(classifyPattern('1*').match, 'literal-index');
  assert.equal(classifyPattern('!9?').match, 'literal-index');
  assert.ok(isLiteralDigitGlob(classifyPattern('1*')));
  assert.ok(isLiteralDigitGlob(classifyPattern('0[12]')));
  assert.ok(!isLiteralDigitGlob(classifyPattern('123')), 'a literal is the same either way');
  assert.ok(!isLiteralDigitGlob(classifyPattern('[1]*')));
  assert.equal(bracketLeadingDigit(classifyPattern('1*')), '[1]*');
  assert.equal(bracketLeadingDigit(classifyPattern('!9?')), '![9]?');
  assert.equal(classifyPattern(bracketLeadingDigit(classifyPattern('1*'))).match, 'glob');
});
