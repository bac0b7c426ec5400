/**
 * The tree of a kernel event filter, as parsed: every token keeps its position in the expression so
 * that an error can put a caret under it. `&&` and `||` are n-ary and never nest in themselves (both
 * are associative), so parsing the canonical text gives back the same tree.
 */

/** Where a token lies in the expression: 0-based UTF-16 indices, `end` exclusive. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

/** A filter expression, or a part of one. */
export type FilterNode = PredicateNode | NotNode | AndNode | OrNode;

/** `!operand`: the kernel inverts the operand's result. */
export interface NotNode extends Span {
  readonly kind: 'not';
  readonly operand: FilterNode;
}

/** `a && b && …`: at least two operands, none of them an `and`. */
export interface AndNode {
  readonly kind: 'and';
  readonly operands: readonly FilterNode[];
}

/** `a || b || …`: at least two operands, none of them an `or`. */
export interface OrNode {
  readonly kind: 'or';
  readonly operands: readonly FilterNode[];
}

/** The kernel's comparison operators, as written. */
export type ComparisonOperator = '==' | '!=' | '<' | '<=' | '>' | '>=' | '&' | '~';

/** What may follow a field name: `.ustring` (read a user-space `char *`), `.function` (compare as a function). */
export type FieldSuffix = 'ustring' | 'function';

/** `field[.suffix] operator value`. */
export interface PredicateNode {
  readonly kind: 'predicate';
  readonly field: FieldToken;
  readonly operator: OperatorToken;
  readonly value: ValueNode;
}

/** The field name of a predicate, with its suffix if any. */
export interface FieldToken extends Span {
  readonly name: string;
  readonly suffix: FieldSuffix | undefined;
  /** Where the suffix's `.` is (equal to `end` without one). */
  readonly suffixStart: number;
}

/** The operator of a predicate. */
export interface OperatorToken extends Span {
  readonly operator: ComparisonOperator;
}

/** The right-hand side of a predicate. */
export type ValueNode = NumberValue | StringValue | CpusValue | SymbolValue;

/** A number as written (`42`, `-1`, `0x1f`, `017`); its value depends on the field's signedness. */
export interface NumberValue extends Span {
  readonly kind: 'number';
  readonly text: string;
}

/** A quoted string; the kernel knows no escapes, so `content` is exactly what lies between the quotes. */
export interface StringValue extends Span {
  readonly kind: 'string';
  readonly content: string;
}

/** `CPUS{list}`: a CPU list in the kernel's cpulist syntax (Linux 6.6+). */
export interface CpusValue extends Span {
  readonly kind: 'cpus';
  /** The text between the braces. */
  readonly list: string;
}

/** A kernel function's name after `.function ==` (unquoted; it ends at whitespace). */
export interface SymbolValue extends Span {
  readonly kind: 'symbol';
  readonly name: string;
}

/** The shape of `node` without positions: two trees mean the same filter when their shapes are equal. */
export type FilterShape =
  | { kind: 'not'; operand: FilterShape }
  | { kind: 'and' | 'or'; operands: FilterShape[] }
  | { kind: 'predicate'; field: string; suffix: FieldSuffix | undefined; operator: ComparisonOperator; value: string };

/** {@link FilterShape} of `node`, for comparing trees parsed from different texts. */
export function filterShape(node: FilterNode): FilterShape {
  switch (node.kind) {
    case 'not':
      return { kind: 'not', operand: filterShape(node.operand) };
    case 'and':
    case 'or':
      return { kind: node.kind, operands: node.operands.map(filterShape) };
    case 'predicate':
      return {
        kind: 'predicate',
        field: node.field.name,
        suffix: node.field.suffix,
        operator: node.operator.operator,
        value: valueText(node.value),
      };
  }
}

/** A value as a string that tells its kind: `42`, `"text"`, `CPUS{0-3}`, `symbol:schedule`. */
function valueText(value: ValueNode): string {
  switch (value.kind) {
    case 'number':
      return value.text;
    case 'string':
      return JSON.stringify(value.content);
    case 'cpus':
      return `CPUS{${value.list}}`;
    case 'symbol':
      return `symbol:${value.name}`;
  }
}
