/**
 * Properties of compileFilter over generated input: on any text it returns a canonical filter or
 * throws a FilterError (never anything else) with the caret inside the text; generated valid
 * filters, with any spacing and redundant parentheses, compile to a text with the same tree; and
 * the running kernel takes every text compileFilter returns and refuses nothing it would accept
 * without perf-bridge saying why it refuses on purpose.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';

import fc from 'fast-check';

import { type FilterShape, filterShape } from '../../src/filter/ast.js';
import { FILTER_MAX_BYTES, compileFilter } from '../../src/filter/compile.js';
import { FilterError } from '../../src/filter/errors.js';
import { BASELINE_FILTER_GRAMMAR, detectFilterGrammar } from '../../src/filter/grammar.js';
import { parseFilter } from '../../src/filter/parser.js';
import { editedText } from '../property/arbitraries/text-edits.js';
import { propertyRuns } from '../property/settings.js';
import { LINUX_6_18, fixtureFormat } from './cases.js';
import { GOOD_FILTERS } from './good-filters.js';
import { hostEvent, kernelFilterTest, releaseTracepoints } from './kernel-oracle.js';

const EVENT = 'sched:sched_switch';
const FORMAT = fixtureFormat(EVENT);

/** Pieces of the filter language, to be strung together in any order. */
const TOKENS = [
  'prev_pid',
  'next_comm',
  'prev_state',
  'common_pid',
  'CPU',
  'COMM',
  'common_comm',
  'prev_comm',
  'comm',
  '.ustring',
  '.function',
  ' schedule',
  '==',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  '&',
  '~',
  '=',
  '!',
  '&&',
  '||',
  '(',
  ')',
  '"',
  "'",
  '"bash"',
  '"1*"',
  '"*sh"',
  "'a\"b'",
  '1',
  '-1',
  '0x1f',
  '08',
  '0xffffffffffffffff',
  'CPUS{0}',
  'CPUS{0-1}',
  'CPUS{',
  '}',
  ' ',
  ' ',
  ' ',
  '\t',
  '\n',
  'é',
  '\0',
];

const tokenSoup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 14 }).map((tokens) => tokens.join(''));
const editedGood = editedText(
  fc.constantFrom(...GOOD_FILTERS.filter((g) => g.event === EVENT).map((g) => g.expression)),
  {
    syntax: TOKENS,
    maxEdits: 3,
    maxRemoved: 4,
  },
);
/** Predicate-shaped text from pools of fields, operators and values that often do not go together. */
const predicateSoup = fc
  .array(
    fc.tuple(
      fc.constantFrom('', '', '', '!', '(', '!('),
      fc.constantFrom(
        ...FORMAT.fields.map((f) => f.name),
        'common_pid',
        'common_type',
        'CPU',
        'cpu',
        'COMM',
        'common_comm',
        'stacktrace',
        'pid',
      ),
      fc.constantFrom('', '', '', '', '.ustring', '.function'),
      fc.constantFrom(' == ', ' != ', ' < ', ' <= ', ' > ', ' >= ', ' & ', ' ~ ', '==', '&', ' = '),
      fc.constantFrom(
        '0',
        '-1',
        '0x7fffffff',
        '0xffffffff',
        '0x100000000',
        '4294967295',
        '-2147483649',
        '0xffffffffffffffff',
        '9223372036854775807',
        '-9223372036854775808',
        '010',
        '08',
        '1a',
        '"bash"',
        "'x'",
        '"1*"',
        '"[1]*"',
        '"!*sh"',
        '""',
        'CPUS{0}',
        'CPUS{0-1}',
        'CPUS{2}',
        'CPUS{all}',
        'CPUS{}',
        'CPUS{1-0}',
        'schedule',
        '-',
        'bash',
      ),
      fc.constantFrom('', '', '', '', '', '', '', ')'),
    ),
    { minLength: 1, maxLength: 3 },
  )
  .chain((predicates) =>
    fc
      .array(fc.constantFrom(' && ', ' || ', '&&', ' & '), {
        minLength: predicates.length,
        maxLength: predicates.length,
      })
      .map((joins) =>
        predicates
          .map(([open, ...rest], i) => {
            // An opened parenthesis is closed after the predicate (and a stray one sometimes follows).
            const close = open.includes('(') ? ')' : '';
            return `${i === 0 ? '' : (joins[i] ?? '')}${open}${rest.join('')}${close}`;
          })
          .join(''),
      ),
  );

const anyText = fc.oneof(tokenSoup, editedGood, predicateSoup, fc.string({ maxLength: 40, unit: 'binary' }));

/** compileFilter's text, or the FilterError it threw; anything else thrown fails the property. */
function outcome(expression: string, grammar = LINUX_6_18): string | FilterError {
  try {
    return compileFilter(expression, FORMAT, grammar, EVENT);
  } catch (error) {
    if (error instanceof FilterError) return error;
    throw error;
  }
}

test('any text compiles to a stable canonical filter or throws a FilterError with its caret inside the text', () => {
  fc.assert(
    fc.property(anyText, fc.boolean(), (expression, baseline) => {
      const result = outcome(expression, baseline ? BASELINE_FILTER_GRAMMAR : LINUX_6_18);
      if (result instanceof FilterError) {
        assert.equal(result.code, 'BAD_FILTER');
        assert.ok(result.position >= 0 && result.position <= expression.length, `caret at ${result.position}`);
        assert.match(result.message, /\n {2}.*\n {2} *\^\n {2}hint: /s);
        return;
      }
      assert.ok(Buffer.byteLength(result) <= FILTER_MAX_BYTES);
      assert.equal(outcome(result, baseline ? BASELINE_FILTER_GRAMMAR : LINUX_6_18), result);
      assert.deepEqual(filterShape(parseFilter(result)), filterShape(parseFilter(expression)));
    }),
    propertyRuns(3000),
  );
});

/** A generated filter: its text (with arbitrary spacing and parentheses) and the tree it must give. */
interface Generated {
  text: string;
  shape: FilterShape;
}

const space = fc.constantFrom('', ' ', '  ', '\t', '\n');

/** A number literal of `value` as decimal, hex or octal. */
function literal(value: bigint, style: number): string {
  const sign = value < 0n ? '-' : '';
  const magnitude = value < 0n ? -value : value;
  if (style === 1) return `${sign}0x${magnitude.toString(16)}`;
  if (style === 2 && magnitude !== 0n) return `${sign}0${magnitude.toString(8)}`;
  return `${sign}${magnitude.toString(10)}`;
}

const NUMBER_FIELDS = [
  { name: 'prev_pid', bits: 32n, signed: true },
  { name: 'next_prio', bits: 32n, signed: true },
  { name: 'prev_state', bits: 64n, signed: true },
  { name: 'common_pid', bits: 32n, signed: true },
  { name: 'common_type', bits: 16n, signed: false },
  { name: 'common_flags', bits: 8n, signed: false },
] as const;

const numberPredicate = fc
  .record({
    field: fc.constantFrom(...NUMBER_FIELDS),
    operator: fc.constantFrom('==', '!=', '<', '<=', '>', '>=', '&'),
    fraction: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    negative: fc.boolean(),
    style: fc.nat(2),
  })
  .map(({ field, operator, fraction, negative, style }) => {
    const limit = field.signed ? 1n << (field.bits - 1n) : 1n << field.bits;
    const magnitude = fraction % limit;
    const value = negative && field.signed ? -magnitude : magnitude;
    return { field: field.name, operator, value: literal(value, style) };
  });

const stringPredicate = fc
  .record({
    field: fc.constantFrom('prev_comm', 'next_comm', 'COMM', 'comm'),
    operator: fc.constantFrom('==', '!=', '~'),
    content: fc.string({
      maxLength: 12,
      unit: fc.constantFrom('a', 'b', 'Z', '_', '/', '-', '*', '?', '[', ']', '1', ' ', "'"),
    }),
  })
  .map(({ field, operator, content }) => {
    // A glob must not start with a digit, which the kernel compares literally (refused on purpose).
    const pattern = operator === '~' && /^!?[0-9]/.test(content) ? `x${content}` : content;
    return { field, operator, value: `"${pattern}"`, content: pattern };
  });

const cpuPredicate = fc.record({
  field: fc.constantFrom('CPU', 'cpu', 'common_cpu'),
  operator: fc.constantFrom('==', '!=', '<', '<=', '>', '>='),
  value: fc.constantFrom('0', '1', '3', '-1'),
});

const predicate: fc.Arbitrary<Generated> = fc
  .tuple(fc.oneof(numberPredicate, stringPredicate, cpuPredicate), space, space)
  .map(([p, before, after]) => ({
    text: `${p.field}${before}${p.operator}${after}${p.value}`,
    shape: {
      kind: 'predicate',
      field: p.field,
      suffix: undefined,
      operator: p.operator,
      value: 'content' in p ? JSON.stringify(p.content) : p.value,
    },
  }));

/** `parts` joined with `connective`; the shape flattened as the parser flattens it. */
function joined(parts: Generated[], connective: '&&' | '||', spaces: string[]): Generated {
  const kind = connective === '&&' ? 'and' : 'or';
  const wrap = (part: Generated) => (kind === 'and' && part.shape.kind === 'or' ? `(${part.text})` : part.text);
  return {
    text: parts
      .map(wrap)
      .reduce((text, part, i) => `${text}${spaces[i] ?? ' '}${connective}${spaces[i] ?? ' '}${part}`),
    shape: { kind, operands: parts.flatMap((part) => (part.shape.kind === kind ? part.shape.operands : [part.shape])) },
  };
}

const tree: fc.Arbitrary<Generated> = fc.letrec<{ node: Generated }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    predicate,
    tie('node').map((operand): Generated => ({
      text: `!(${operand.text})`,
      shape: { kind: 'not', operand: operand.shape },
    })),
    tie('node').map((inner) => ({ text: `( ${inner.text} )`, shape: inner.shape })),
    fc
      .tuple(fc.array(tie('node'), { minLength: 2, maxLength: 3 }), fc.array(space, { maxLength: 3 }), fc.boolean())
      .map(([parts, spaces, and]) => joined(parts, and ? '&&' : '||', spaces)),
  ),
})).node;

test('generated valid filters compile to a text with the same tree', () => {
  fc.assert(
    fc.property(tree, ({ text, shape }) => {
      const compiled = compileFilter(text, FORMAT, LINUX_6_18, EVENT);
      assert.deepEqual(filterShape(parseFilter(compiled)), shape);
    }),
    propertyRuns(2000),
  );
});

const oracle = kernelFilterTest();
after(releaseTracepoints);

/** Each kernel check opens and closes a tracepoint perf fd (milliseconds: the kernel unregisters the tracepoint). */
const KERNEL_RUNS = 2000;

/** Reasons perf-bridge refuses a filter the kernel would take: it cannot match as written. */
const ON_PURPOSE =
  /does not fit|never match|literally|points into user space|cannot be filtered on|applies only to char \*|names no CPU|is a cpumask|one suffix/;

test(
  'the kernel takes what compileFilter returns, and what it refuses is refused on purpose',
  { skip: typeof oracle === 'string' ? oracle : false },
  () => {
    if (typeof oracle === 'string') return;
    const sched = hostEvent(EVENT);
    assert.ok(sched);
    const grammar = detectFilterGrammar((expression) => oracle(sched.id, expression) === 0);
    fc.assert(
      fc.property(
        fc.oneof(
          tokenSoup,
          editedGood,
          predicateSoup,
          tree.map((g) => g.text),
        ),
        (expression) => {
          let compiled: string | FilterError;
          try {
            compiled = compileFilter(expression, sched.format, grammar, EVENT);
          } catch (error) {
            if (!(error instanceof FilterError)) throw error;
            compiled = error;
          }
          // Only the kernel knows which function names it has.
          fc.pre(!expression.includes('.function'));
          if (typeof compiled === 'string') {
            assert.equal(oracle(sched.id, compiled), 0, `the kernel refused ${JSON.stringify(compiled)}`);
          } else if (!expression.includes('\0') && oracle(sched.id, expression) === 0) {
            assert.match(compiled.reason, ON_PURPOSE, `refused what the kernel takes: ${JSON.stringify(expression)}`);
          }
        },
      ),
      propertyRuns(KERNEL_RUNS),
    );
  },
);
