/**
 * Parsing a kernel event filter into a {@link FilterNode} tree with positions, accepting what
 * `predicate_parse` and `parse_pred` (kernel/trace/trace_events_filter.c) accept: `!` binds
 * tighter than `&&`, which binds tighter than `||`; after a predicate only `&&`, `||`, `)` or the
 * end may follow. Field names, types and values are checked later, against the event's format.
 */
import type { AndNode, FieldToken, FilterNode, OrNode, PredicateNode, ValueNode } from './ast.js';
import { FilterProblem } from './errors.js';
import { Scanner, type Token, isDigit, isKernelAlnum } from './lexer.js';

/**
 * The deepest nesting of `(` and `!` accepted. The kernel has no limit of its own below its page of
 * text; this keeps the recursion here far from the stack's end, and no real filter comes near it.
 */
export const MAX_FILTER_NESTING = 256;

const OPERATOR_LIST = '==, !=, <, <=, >, >=, & (bit test) and ~ (glob)';

/** Parses `expression`, or throws a {@link FilterProblem} at the first token the kernel would refuse. */
export function parseFilter(expression: string): FilterNode {
  const nul = expression.indexOf('\0');
  if (nul >= 0) {
    throw new FilterProblem(nul, 'the filter contains a NUL character', 'the kernel reads the filter as a C string');
  }
  const scanner = new Scanner(expression);
  if (scanner.atEnd()) {
    throw new FilterProblem(0, 'the filter is empty', 'write at least one predicate, such as common_pid == 1');
  }
  const tree = parseOr(scanner, 0, undefined);
  if (!scanner.atEnd()) {
    // parseAnd stops only at the end, `||` (taken by parseOr) or `)`: this is a `)` too many.
    throw new FilterProblem(scanner.position, "unbalanced ')': nothing opened it", "remove the ')' or add its '('");
  }
  return tree;
}

/** `and ('||' and)*`, flattened. `after` is the token before it, for messages. */
function parseOr(scanner: Scanner, depth: number, after: Token | undefined): FilterNode {
  const operands: FilterNode[] = [];
  let previous = after;
  for (;;) {
    const operand = parseAnd(scanner, depth, previous);
    operands.push(...(operand.kind === 'or' ? operand.operands : [operand]));
    scanner.skipSpace();
    if (!scanner.startsWith('||')) break;
    previous = scanner.take(2);
  }
  return operands.length === 1 ? operands[0]! : ({ kind: 'or', operands } satisfies OrNode);
}

/** `unary ('&&' unary)*`, flattened; stops before `||`, `)` or the end, refuses anything else. */
function parseAnd(scanner: Scanner, depth: number, after: Token | undefined): FilterNode {
  const operands: FilterNode[] = [];
  let previous = after;
  for (;;) {
    const operand = parseUnary(scanner, depth, previous);
    operands.push(...(operand.kind === 'and' ? operand.operands : [operand]));
    scanner.skipSpace();
    if (scanner.startsWith('&&')) {
      previous = scanner.take(2);
      continue;
    }
    if (scanner.startsWith('||') || scanner.peek() === ')' || scanner.atEnd()) break;
    throw joinProblem(scanner);
  }
  return operands.length === 1 ? operands[0]! : ({ kind: 'and', operands } satisfies AndNode);
}

/** What is wrong with the text after a complete predicate that is not `&&`, `||`, `)` or the end. */
function joinProblem(scanner: Scanner): FilterProblem {
  const at = scanner.position;
  const c = scanner.peek();
  if (c === '&') {
    return new FilterProblem(
      at,
      "a single '&' after a predicate",
      "join predicates with '&&'; '&' is the bit test (flags & 4)",
    );
  }
  if (c === '|') return new FilterProblem(at, "a single '|' after a predicate", "join predicates with '||'");
  const quote = scanner.text[at - 1];
  if ((quote === '"' || quote === "'") && scanner.text[at - 2] === '\\') {
    return new FilterProblem(
      at - 1,
      `the string ended at this ${quote}: the kernel's strings have no escapes`,
      `to put a ${quote} in a string, quote it with ${quote === '"' ? "'" : '"'}`,
    );
  }
  return new FilterProblem(
    at,
    `expected '&&', '||' or ')' after the predicate, found ${describe(scanner)}`,
    "join predicates with '&&' or '||'",
  );
}

/** `'!' unary | '(' or ')' | predicate`. */
function parseUnary(scanner: Scanner, depth: number, after: Token | undefined): FilterNode {
  scanner.skipSpace();
  if (depth >= MAX_FILTER_NESTING) {
    throw new FilterProblem(
      scanner.position,
      `more than ${MAX_FILTER_NESTING} nested '(' or '!'`,
      'simplify the expression',
    );
  }
  const c = scanner.peek();
  if (c === '!' && scanner.peek(1) !== '=' && scanner.peek(1) !== '~') {
    const bang = scanner.take(1);
    const operand = parseUnary(scanner, depth + 1, bang);
    return { kind: 'not', start: bang.start, end: bang.end, operand };
  }
  if (c === '(') {
    const open = scanner.take(1);
    const inner = parseOr(scanner, depth + 1, open);
    scanner.skipSpace();
    // parseAnd refused everything but `)` and the end.
    if (scanner.peek() !== ')') {
      throw new FilterProblem(open.start, "'(' is never closed", "add the missing ')'");
    }
    scanner.take(1);
    return inner;
  }
  if (c === undefined || c === ')') throw missingPredicate(scanner, after);
  return parsePredicate(scanner);
}

/** The end of the text, or a `)`, where a predicate should be. */
function missingPredicate(scanner: Scanner, after: Token | undefined): FilterProblem {
  const advice = 'a predicate is field operator value, such as common_pid == 1';
  if (after === undefined) return new FilterProblem(scanner.position, 'expected a predicate', advice);
  if (after.text === '(' && scanner.peek() === ')') {
    return new FilterProblem(after.start, "empty parentheses '()'", advice);
  }
  const what = scanner.peek() === ')' ? "')'" : 'the end';
  return new FilterProblem(after.start, `'${after.text}' is followed by ${what}, not by a predicate`, advice);
}

/** `field[.suffix] operator value`. */
function parsePredicate(scanner: Scanner): PredicateNode {
  const field = parseField(scanner);
  scanner.skipSpace();
  const operator = scanner.startsWith('&&') || scanner.startsWith('||') ? undefined : scanner.readOperator();
  if (operator === undefined) throw operatorProblem(scanner, field);
  scanner.skipSpace();
  const value = parseValue(scanner, field, operator);
  return {
    kind: 'predicate',
    field,
    operator: { start: operator.start, end: operator.end, operator: operator.text },
    value,
  };
}

/** The field name and its suffix. */
function parseField(scanner: Scanner): FieldToken {
  const name = scanner.readName();
  if (name.text === '') {
    const c = scanner.peek();
    const found = describe(scanner);
    if (c === '&' || c === '|') {
      return fail(scanner.position, `expected a predicate, found ${found}`, `'&&' and '||' join two predicates`);
    }
    if (c === '"' || c === "'") {
      return fail(
        scanner.position,
        'expected a field name, found a string',
        'a predicate starts with the field: comm == "bash"',
      );
    }
    return fail(
      scanner.position,
      `expected a field name, found ${found}`,
      'field names are ASCII letters, digits and _, as in the event format',
    );
  }
  const suffix = scanner.readSuffix();
  if (suffix !== undefined && scanner.peek() === '.') {
    const second = scanner.readSuffix();
    fail(second?.start ?? scanner.position, 'a field takes one suffix', 'use .ustring or .function, not both');
  }
  return {
    name: name.text,
    suffix: suffix?.text,
    start: name.start,
    end: suffix?.end ?? name.end,
    suffixStart: suffix?.start ?? name.end,
  };
}

/** Why no operator could be read after `field`. */
function operatorProblem(scanner: Scanner, field: FieldToken): FilterProblem {
  const at = scanner.position;
  const rest = scanner.text.slice(at, at + 2);
  if (scanner.atEnd() || scanner.startsWith('&&') || scanner.startsWith('||') || scanner.peek() === ')') {
    return new FilterProblem(
      at,
      `'${field.name}' has no operator and value`,
      `a predicate is field operator value; the operators are ${OPERATOR_LIST}`,
    );
  }
  if (rest === '=>' || rest === '=<') {
    return new FilterProblem(at, `'${rest}' is not an operator`, `write '${rest[1] ?? ''}='`);
  }
  if (rest.startsWith('=')) {
    return new FilterProblem(at, "'=' is not an operator", "compare with '=='");
  }
  if (rest === '!~') {
    return new FilterProblem(
      at,
      "'!~' is not an operator",
      'negate the match with !(field ~ "glob"), or start the glob with ! (field ~ "!glob")',
    );
  }
  if ((scanner.text.codePointAt(at) ?? 0) > 0x7f) {
    return new FilterProblem(
      at,
      `'${field.name}' is followed by ${describe(scanner)}`,
      'field names are ASCII letters, digits and _',
    );
  }
  return new FilterProblem(
    at,
    `expected an operator after '${field.name}', found ${describe(scanner)}`,
    `the operators are ${OPERATOR_LIST}, written without spaces inside`,
  );
}

/** The value after the operator: its kind follows from its first character, as in `parse_pred`. */
function parseValue(scanner: Scanner, field: FieldToken, operator: Token): ValueNode {
  const c = scanner.peek();
  if (scanner.atEnd()) {
    return fail(operator.start, `'${operator.text}' has no value after it`, 'a predicate is field operator value');
  }
  if (field.suffix === 'function') {
    if (isDigit(c)) return { kind: 'number', ...spanText(scanner.readAddress()) };
    const symbol = scanner.readSymbol();
    const bad = /[^A-Za-z0-9_.$]/.exec(symbol.text);
    if (bad) {
      fail(
        symbol.start + bad.index,
        `'${symbol.text}' is not a function name`,
        `the kernel reads a function name up to the next space: put a space after it, before ')', '&&' or '||'`,
      );
    }
    return { kind: 'symbol', name: symbol.text, start: symbol.start, end: symbol.end };
  }
  if (scanner.startsWith('CPUS')) {
    const cpus = scanner.readCpus();
    return { kind: 'cpus', list: cpus.text.slice(5, -1), start: cpus.start, end: cpus.end };
  }
  if (c === '"' || c === "'") {
    const string = scanner.readString();
    return { kind: 'string', content: string.text.slice(1, -1), start: string.start, end: string.end };
  }
  if (isDigit(c) || c === '-') {
    const number = scanner.readNumber();
    if (number.text === '-')
      fail(number.start, "a '-' without a number right after it", 'write negative numbers as -1, with no space');
    return { kind: 'number', ...spanText(number) };
  }
  if (operator.text === '<' && c === '>') fail(operator.start, "'<>' is not an operator", "write '!='");
  if (isKernelAlnum(c) || c === '_') {
    const word = scanner.readName();
    return fail(
      word.start,
      `'${word.text}' is neither a number nor a quoted string`,
      `a value is a number or a quoted string, never another field; for the text, write ${field.name} ${operator.text} "${word.text}"`,
    );
  }
  return fail(
    scanner.position,
    `expected a number or a quoted string after '${operator.text}', found ${describe(scanner)}`,
    c === '+'
      ? "write positive numbers without '+'"
      : `values are numbers (42, -1, 0x1f), "strings" or CPUS{…}; the operators are ${OPERATOR_LIST}`,
  );
}

function spanText(token: Token): { text: string; start: number; end: number } {
  return { text: token.text, start: token.start, end: token.end };
}

/** The character at the cursor, quoted for a message. */
function describe(scanner: Scanner): string {
  const c = scanner.text.codePointAt(scanner.position);
  if (c === undefined) return 'the end';
  return c < 0x20 || c === 0x7f ? `character 0x${c.toString(16).padStart(2, '0')}` : `'${String.fromCodePoint(c)}'`;
}

function fail(position: number, reason: string, advice: string): never {
  throw new FilterProblem(position, reason, advice);
}
