/** renderFilter (src/filter/render.ts): the canonical text, spaced or compact. */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseFilter } from '../../src/filter/parser.js';
import { renderFilter } from '../../src/filter/render.js';

const render = (text: string, style: 'spaced' | 'compact' = 'spaced') => renderFilter(parseFilter(text), style);

test('parentheses only where || sits inside &&, and after !', () => {
  assert.equal(render('((a==1)||(b==2))&&c==3'), '(a == 1 || b == 2) && c == 3');
  assert.equal(render('(a==1&&b==2)||c==3'), 'a == 1 && b == 2 || c == 3');
  assert.equal(render('!a==1'), '!(a == 1)');
  assert.equal(render('!(!(a==1))'), '!!(a == 1)');
  assert.equal(render('!(a==1||b==2)'), '!(a == 1 || b == 2)');
});

test('compact drops every space the kernel does not need', () => {
  assert.equal(render('(a == 1 || b ~ "x y") && !(c & 4)', 'compact'), '(a==1||b~"x y")&&!(c&4)');
});

test('strings in double quotes unless they hold one', () => {
  assert.equal(render(`a == 'x'`), 'a == "x"');
  assert.equal(render(`a == 'say "hi"'`), `a == 'say "hi"'`);
});

test('a .function name is always followed by whitespace, in both styles', () => {
  assert.equal(render('(a.function == f) || b == 1'.replace('f)', 'f )')), 'a.function == f || b == 1');
  assert.equal(render('b == 1 && (a.function == f )', 'compact'), 'b==1&&a.function==f ');
  assert.equal(render('(a.function == f ) || b == 1', 'compact'), 'a.function==f ||b==1');
  assert.equal(render('(b == 1 || a.function == f ) && c == 1', 'compact'), '(b==1||a.function==f )&&c==1');
});
