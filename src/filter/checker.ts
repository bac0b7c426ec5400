/**
 * Checking a parsed filter against an event's format and the kernel's grammar: each predicate must
 * name a field the kernel finds, use an operator its type allows and a value the kernel reads as
 * meant — the rules of `parse_pred` (kernel/trace/trace_events_filter.c), plus refusals of what the
 * kernel takes but can never match (a bit test on CPU, a user pointer read as kernel memory, a
 * number wider than its field, a glob starting with a digit).
 */
import type { EventFormat } from '../decode/format.js';
import type { CpusValue, FilterNode, NumberValue, PredicateNode, StringValue } from './ast.js';
import { checkCpuList } from './cpulist.js';
import { FilterProblem } from './errors.js';
import { holdsUserPointers, typePhrase } from './field-types.js';
import { type ResolvedField, nearestFieldNames, resolveField } from './fields.js';
import { bracketLeadingDigit, classifyPattern, isLiteralDigitGlob } from './globs.js';
import { type FilterGrammar, SPECIAL_FIELDS, type SpecialFieldName } from './grammar.js';
import { fitsField, parseKernelInteger, unsignedPattern } from './numbers.js';

/** `MAX_FILTER_STR_VAL`: a string value must be shorter than this many bytes. */
export const MAX_STRING_BYTES = 256;

/** What a check needs besides the predicate. */
interface CheckContext {
  readonly format: EventFormat;
  readonly grammar: FilterGrammar;
  readonly eventName: string;
}

/** Throws a {@link FilterProblem} at the first predicate of `tree` the kernel would refuse or never match. */
export function checkFilter(tree: FilterNode, format: EventFormat, grammar: FilterGrammar, eventName: string): void {
  const context: CheckContext = { format, grammar, eventName };
  const visit = (node: FilterNode): void => {
    if (node.kind === 'predicate') checkPredicate(node, context);
    else if (node.kind === 'not') visit(node.operand);
    else node.operands.forEach(visit);
  };
  visit(tree);
}

function checkPredicate(predicate: PredicateNode, context: CheckContext): void {
  const field = findField(predicate, context);
  checkSuffix(predicate, field, context.grammar);
  const value = predicate.value;
  // A function name's characters were checked when parsed; only the kernel knows its symbols.
  if (value.kind === 'symbol') return;
  if (value.kind === 'string') checkString(predicate, field, value, context);
  else if (value.kind === 'cpus') checkCpus(predicate, field, value, context.grammar);
  else if (predicate.field.suffix === 'function') checkAddress(value);
  else checkNumber(predicate, field, value, context.eventName);
}

/** The predicate's field, or a problem: unknown, missing on this kernel, or not filterable. */
function findField(predicate: PredicateNode, context: CheckContext): ResolvedField {
  const { name, start } = predicate.field;
  const field = resolveField(name, context.format, context.grammar);
  if (field === undefined) {
    if (name in SPECIAL_FIELDS) {
      const kind = SPECIAL_FIELDS[name as SpecialFieldName];
      const others = [...context.grammar.specialFields].filter((n) => SPECIAL_FIELDS[n as SpecialFieldName] === kind);
      const instead = others.length > 0 ? `use ${others.join(' or ')}` : `this kernel has no special ${kind} field`;
      fail(start, `this kernel's filters have no special field '${name}'`, instead);
    }
    const near = nearestFieldNames(name, context.format, context.grammar);
    const advice = near.length > 0 ? `did you mean ${alternatives(near)}?` : `${context.eventName} has no such field`;
    fail(start, `unknown field '${name}'`, advice);
  }
  if (field.type.kind === 'none') {
    fail(start, `field '${name}' cannot be filtered on: it is ${field.type.reason}`, 'filter on another field');
  }
  return field;
}

/** `.ustring` only on `char *` fields, `.function` only on 8-byte event fields, each where the kernel has it. */
function checkSuffix(predicate: PredicateNode, field: ResolvedField, grammar: FilterGrammar): void {
  const { name, suffix, suffixStart } = predicate.field;
  const phrase = typePhrase(field.type);
  if (suffix === 'ustring') {
    if (!grammar.userStrings) fail(suffixStart, 'this kernel has no .ustring (Linux 6.0+)', 'filter on another field');
    if (field.type.kind !== 'string' || field.type.storage !== 'pointer') {
      fail(suffixStart, `.ustring applies only to char * fields, and '${name}' is ${phrase}`, 'drop the .ustring');
    }
  } else if (suffix === 'function') {
    if (!grammar.functionNames) {
      fail(
        suffixStart,
        'this kernel has no .function (Linux 6.2+, detected with CPUS{…} of 6.6)',
        'compare the address as a number',
      );
    }
    const address =
      field.source !== 'special' &&
      field.field?.size === 8 &&
      (field.type.kind === 'number' || (field.type.kind === 'string' && field.type.storage === 'pointer'));
    if (!address) {
      fail(suffixStart, `.function needs an 8-byte address field, and '${name}' is ${phrase}`, 'drop the .function');
    }
    const operator = predicate.operator;
    if (operator.operator !== '==' && operator.operator !== '!=') {
      fail(
        operator.start,
        `.function compares only with == and !=, not ${operator.operator}`,
        `write ${name}.function == function_name`,
      );
    }
  }
}

/** A `.function` address: `kstrtoul` in base 0. */
function checkAddress(value: NumberValue): void {
  const parsed = parseKernelInteger(value.text, false);
  if (!parsed.ok) {
    fail(
      value.start,
      `bad address '${value.text}': ${parsed.reason}`,
      'write a function name or an address such as 0xffffffff81000000',
    );
  }
}

function checkNumber(predicate: PredicateNode, field: ResolvedField, value: NumberValue, eventName: string): void {
  const { name } = predicate.field;
  const type = field.type;
  const operator = predicate.operator;
  if (type.kind === 'string') {
    fail(
      value.start,
      `'${name}' is ${typePhrase(type)}, and ${value.text} is a number`,
      `quote the value: ${name} ${operator.operator} "${value.text}"`,
    );
  }
  if (type.kind === 'cpumask') {
    fail(value.start, `'${name}' is a cpumask: compare it with a CPU list`, `write ${name} & CPUS{${value.text}}`);
  }
  if (operator.operator === '~') {
    fail(
      operator.start,
      `'~' matches strings with a glob, and '${name}' is a number`,
      'compare numbers with ==, !=, <, <=, >, >= or & (bit test)',
    );
  }
  if (type.kind === 'cpu' && operator.operator === '&') {
    fail(
      operator.start,
      `'${name} & ${value.text}' never matches: the kernel's CPU field has no bit test`,
      `write ${name} == n, or ${name} & CPUS{list} on Linux 6.6+`,
    );
  }
  const signed = type.kind === 'cpu' || (type.kind === 'number' && type.signed);
  const size = type.kind === 'number' ? type.size : 4;
  const parsed = parseKernelInteger(value.text, signed);
  if (!parsed.ok) {
    const reason = `bad number '${value.text}' for '${name}', ${typePhrase(type)}: ${parsed.reason}`;
    fail(value.start, reason, numberAdvice(name, value.text, signed, size, eventName));
  }
  if (!fitsField(parsed.value, size, signed)) {
    fail(
      value.start,
      `${value.text} does not fit '${name}', ${typePhrase(type)}`,
      `the kernel would compare only the low ${size * 8} bits, which is not what the number says`,
    );
  }
}

/** What to write instead of a number the kernel refuses: the bit pattern of a negative for an unsigned field. */
function numberAdvice(name: string, text: string, signed: boolean, size: number, eventName: string): string {
  const pattern = text.startsWith('-') && !signed ? parseKernelInteger(text, true) : undefined;
  if (pattern?.ok !== true) {
    return 'numbers are decimal (42, -1 for signed fields), hexadecimal (0x2a) or octal with a leading 0 (052)';
  }
  const why = eventName.startsWith('syscalls:') ? ' (syscall arguments are recorded as unsigned long)' : '';
  return `'${name}' is unsigned in the event's format${why}: write the bit pattern ${unsignedPattern(pattern.value, size)}`;
}

function checkString(predicate: PredicateNode, field: ResolvedField, value: StringValue, context: CheckContext): void {
  const { name } = predicate.field;
  const type = field.type;
  const operator = predicate.operator;
  if (type.kind !== 'string') {
    const advice =
      type.kind === 'cpumask'
        ? `write ${name} & CPUS{0-3}`
        : `compare it with a number: ${name} ${operator.operator === '~' ? '==' : operator.operator} 42`;
    fail(value.start, `'${name}' is ${typePhrase(type)}, not a string`, advice);
  }
  if (operator.operator !== '==' && operator.operator !== '!=' && operator.operator !== '~') {
    fail(
      operator.start,
      `strings compare only with ==, != and ~ (glob), not ${operator.operator}`,
      `write ${name} == "text" or ${name} ~ "prefix*"`,
    );
  }
  const bytes = Buffer.byteLength(value.content, 'utf8');
  if (bytes >= MAX_STRING_BYTES) {
    fail(
      value.start,
      `the string is ${bytes} bytes long; the kernel takes at most ${MAX_STRING_BYTES - 1}`,
      'use a shorter string or a glob (~ "prefix*")',
    );
  }
  if (type.storage === 'pointer' && predicate.field.suffix !== 'ustring' && holdsUserPointers(context.eventName)) {
    fail(
      predicate.field.start,
      `'${name}' points into user space, which the kernel reads as kernel memory here: it would never match`,
      context.grammar.userStrings
        ? `write ${name}.ustring ${operator.operator} ${quoted(value.content)}`
        : 'this kernel cannot compare user-space strings in filters',
    );
  }
  if (operator.operator === '~') {
    const pattern = classifyPattern(value.content);
    if (isLiteralDigitGlob(pattern)) {
      fail(
        value.start,
        `the kernel compares a pattern starting with a digit literally, so "${value.content}" would match only itself`,
        `put the first digit in brackets: ${name} ~ "${bracketLeadingDigit(pattern)}"`,
      );
    }
  }
}

function checkCpus(predicate: PredicateNode, field: ResolvedField, value: CpusValue, grammar: FilterGrammar): void {
  const { name } = predicate.field;
  if (!grammar.cpuMasks) {
    fail(value.start, 'this kernel has no CPUS{…} (Linux 6.6+)', `compare a CPU number: ${name} == 0`);
  }
  if (field.type.kind === 'string') {
    fail(value.start, `CPUS{…} compares CPU numbers, and '${name}' is a string`, 'compare it with a quoted string');
  }
  const operator = predicate.operator;
  if (operator.operator !== '==' && operator.operator !== '!=' && operator.operator !== '&') {
    fail(
      operator.start,
      `CPUS{…} compares only with ==, != and & (intersects), not ${operator.operator}`,
      `write ${name} & CPUS{${value.list}}`,
    );
  }
  const problem = checkCpuList(value.list, grammar.possibleCpus);
  if (problem) {
    // The list starts after `CPUS{`.
    const at = value.start + 'CPUS{'.length + problem.offset;
    fail(at, `bad CPU list: ${problem.reason}`, 'a CPU list is like 0-3,6 or 0-7:2/4 (the kernel’s cpulist syntax)');
  }
}

/** `content` in the quotes the canonical text would use. */
function quoted(content: string): string {
  return content.includes('"') ? `'${content}'` : `"${content}"`;
}

/** `'a'`, `'a' or 'b'`, `'a', 'b' or 'c'`. */
function alternatives(names: readonly string[]): string {
  const quoted = names.map((name) => `'${name}'`);
  return quoted.length <= 1 ? quoted.join('') : `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1) ?? ''}`;
}

function fail(position: number, reason: string, advice: string): never {
  throw new FilterProblem(position, reason, advice);
}
