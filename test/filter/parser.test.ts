/**
 * parseFilter (src/filter/parser.ts): the kernel's precedence (! over && over ||), n-ary && and ||,
 * the positions of every token, and the syntax errors with the caret where the kernel stops.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { type FilterNode, type PredicateNode, filterShape } from '../../src/filter/ast.js';
import { FilterProblem } from '../../src/filter/errors.js';
import { MAX_FILTER_NESTING, parseFilter } from '../../src/filter/parser.js';

/** The tree as terse text: `and(a==1,not(b~"x"))`. */
function terse(node: FilterNode): string {
  switch (node.kind) {
    case 'predicate':
      return `${node.field.name}${node.field.suffix ? `.${node.field.suffix}` : ''}${node.operator.operator}${valueOf(node)}`;
    case 'not':
      return `not(${terse(node.operand)})`;
    default:
      return `${node.kind}(${node.operands.map(terse).join(',')})`;
  }
}

function valueOf(node: PredicateNode): string {
  const value = node.value;
  if (value.kind === 'string') return JSON.stringify(value.content);
  if (value.kind === 'cpus') return `CPUS{${value.list}}`;
  return value.kind === 'symbol' ? `@${value.name}` : value.text;
}

function problem(expression: string): FilterProblem {
  try {
    parseFilter(expression);
  } catch (error) {
    assert.ok(error instanceof FilterProblem, String(error));
    return error;
  }
  assert.fail(`${expression} parsed`);
}

test('&& binds tighter than ||, ! tighter than both; same connectives flatten', () => {
  assert.equal(terse(parseFilter('a == 1 || b == 2 && c == 3')), 'or(a==1,and(b==2,c==3))');
  assert.equal(terse(parseFilter('a == 1 && b == 2 || c == 3')), 'or(and(a==1,b==2),c==3)');
  assert.equal(terse(parseFilter('!a == 1 && b == 2')), 'and(not(a==1),b==2)');
  assert.equal(terse(parseFilter('!(a == 1 && b == 2)')), 'not(and(a==1,b==2))');
  assert.equal(terse(parseFilter('a == 1 && (b == 2 && c == 3) && d == 4')), 'and(a==1,b==2,c==3,d==4)');
  assert.equal(terse(parseFilter('(a == 1 || b == 2) || (c == 3)')), 'or(a==1,b==2,c==3)');
  assert.equal(terse(parseFilter('(a == 1 || b == 2) && c == 3')), 'and(or(a==1,b==2),c==3)');
  assert.equal(terse(parseFilter('!!a == 1')), 'not(not(a==1))');
  assert.equal(terse(parseFilter('((a == 1))')), 'a==1');
});

test('values: numbers as written, strings without escapes, CPUS lists, .function names', () => {
  assert.equal(terse(parseFilter('a==-0x1f')), 'a==-0x1f');
  assert.equal(terse(parseFilter(`a == 'say "hi"'`)), 'a=="say \\"hi\\""');
  assert.equal(terse(parseFilter('a ~ "x\\"')), 'a~"x\\\\"');
  assert.equal(terse(parseFilter('a & CPUS{0-3, 6}')), 'a&CPUS{0-3, 6}');
  assert.equal(terse(parseFilter('a.function == do_sys_open')), 'a.function==@do_sys_open');
  assert.equal(terse(parseFilter('a.function == 0xffffffff81000000')), 'a.function==0xffffffff81000000');
  assert.equal(terse(parseFilter('a.ustring ~ "/etc/*"')), 'a.ustring~"/etc/*"');
  assert.equal(terse(parseFilter('a<=1&&b>=2&&c<3&&d>4&&e!=5&&f&6')), 'and(a<=1,b>=2,c<3,d>4,e!=5,f&6)');
});

test('every token keeps its position', () => {
  const tree = parseFilter('  !(prev_pid.ustring  ==  "x")');
  assert.equal(tree.kind, 'not');
  assert.equal(tree.start, 2);
  const predicate = tree.operand as PredicateNode;
  assert.deepEqual(
    [
      predicate.field.start,
      predicate.field.suffixStart,
      predicate.field.end,
      predicate.operator.start,
      predicate.value.start,
      predicate.value.end,
    ],
    [4, 12, 20, 22, 26, 29],
  );
});

test('the kernel whitespace separates tokens; other characters do not', () => {
  assert.deepEqual(filterShape(parseFilter('a\t==\n1\r&&\fb\v==2')), filterShape(parseFilter('a == 1 && b == 2')));
  assert.equal(problem('a ==\u00a01').position, 4);
});

test('syntax errors stop at the token the kernel stops at', () => {
  const cases: [string, number, RegExp][] = [
    ['', 0, /empty/],
    ['a', 1, /'a' has no operator and value/],
    ['a ==', 2, /'==' has no value after it/],
    ['a == 1 b == 2', 7, /expected '&&', '\|\|' or '\)'/],
    ['a == 1 | b == 2', 7, /single '\|'/],
    ['a == 1 &&& b == 2', 9, /expected a predicate, found '&'/],
    ['a == "x', 5, /unterminated string/],
    ["a == 'x", 5, /no closing '/],
    ['a == x', 5, /neither a number nor a quoted string/],
    ['a == ', 2, /no value/],
    ['a.b == 1', 1, /unknown field suffix '\.b'/],
    ['a .ustring == 1', 2, /expected an operator after 'a', found '\.'/],
    ['a.ustring.function == 1', 9, /one suffix/],
    ['a == CPUS{1', 9, /no closing '\}'/],
    ['a.function == x)', 15, /'x\)' is not a function name/],
    ['(a == 1', 0, /never closed/],
    ['a == 1)', 6, /unbalanced/],
    ['(a == 1) (b == 2)', 9, /expected '&&'/],
    ['!', 0, /'!' is followed by the end/],
    ['!= 1', 0, /expected a field name, found '!'/],
    ['"x" == a', 0, /found a string/],
    ['a == 1 \u0001', 7, /character 0x01/],
  ];
  for (const [expression, position, reason] of cases) {
    const error = problem(expression);
    assert.equal(error.position, position, `${JSON.stringify(expression)}: ${error.reason}`);
    assert.match(error.reason, reason, JSON.stringify(expression));
    assert.ok(error.advice.length > 0);
  }
});

test(`nesting deeper than ${MAX_FILTER_NESTING} is refused before the stack runs out`, () => {
  const depth = MAX_FILTER_NESTING - 1;
  assert.equal(parseFilter(`${'!'.repeat(depth)}a == 1`).kind, 'not');
  assert.match(problem(`${'!'.repeat(MAX_FILTER_NESTING)}a == 1`).reason, /nested/);
  assert.match(problem('('.repeat(10_000)).reason, /nested/);
});
