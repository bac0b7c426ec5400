/**
 * The tokens of a kernel event filter, read the way `parse_pred` and `predicate_parse` in
 * kernel/trace/trace_events_filter.c read them (Linux 6.1 to 6.18 agree on this). The language is
 * context-dependent — a `.function` name runs to the next whitespace, a number is `-` and a run of
 * letters and digits — so the parser asks for the token it expects next instead of tokenising ahead.
 */
import type { ComparisonOperator, FieldSuffix, Span } from './ast.js';
import { FilterProblem } from './errors.js';

/** The kernel's operators in the order `parse_pred` tries them: `<=` before `<`, `>=` before `>`. */
const OPERATORS: readonly ComparisonOperator[] = ['~', '!=', '==', '<=', '<', '>=', '>', '&'];

/** A token and where it lies. */
export interface Token<T extends string = string> extends Span {
  readonly text: T;
}

/** The kernel's `isspace` on ASCII: space, `\t`, `\n`, `\v`, `\f`, `\r`. */
export function isKernelSpace(c: string | undefined): boolean {
  return c === ' ' || (c !== undefined && c >= '\t' && c <= '\r');
}

/** The kernel's `isalnum` on ASCII. */
export function isKernelAlnum(c: string | undefined): boolean {
  return c !== undefined && /^[A-Za-z0-9]$/.test(c);
}

/** The kernel's `isdigit`. */
export function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/** A cursor over the expression that reads one kind of token at a time. */
export class Scanner {
  /** Index of the next character to read. */
  position = 0;
  constructor(readonly text: string) {}

  /** The character `offset` characters ahead, undefined past the end. */
  peek(offset = 0): string | undefined {
    return this.text[this.position + offset];
  }

  /** True when only whitespace is left. */
  atEnd(): boolean {
    this.skipSpace();
    return this.position >= this.text.length;
  }

  /** Skips the kernel's whitespace. */
  skipSpace(): void {
    while (isKernelSpace(this.peek())) this.position++;
  }

  /** True when the text at the cursor starts with `literal`. */
  startsWith(literal: string): boolean {
    return this.text.startsWith(literal, this.position);
  }

  /** Consumes `length` characters as one token. */
  take(length: number): Token {
    const start = this.position;
    this.position += length;
    return { text: this.text.slice(start, this.position), start, end: this.position };
  }

  /** A field name: letters, digits and `_`, as `parse_pred` reads it (possibly empty). */
  readName(): Token {
    let length = 0;
    while (isKernelAlnum(this.peek(length)) || this.peek(length) === '_') length++;
    return this.take(length);
  }

  /**
   * A `.suffix` right after a field name, or undefined when no `.` follows. The kernel knows
   * `.ustring` and `.function` and ignores what else follows the name, which then fails as an operator.
   */
  readSuffix(): Token<FieldSuffix> | undefined {
    if (this.peek() !== '.') return undefined;
    let length = 1;
    while (isKernelAlnum(this.peek(length)) || this.peek(length) === '_') length++;
    const token = this.take(length);
    const name = token.text.slice(1);
    if (name === 'ustring' || name === 'function') return { ...token, text: name };
    throw new FilterProblem(
      token.start,
      `unknown field suffix '${token.text}'`,
      'the kernel knows only .ustring (a user-space char * string) and .function (a kernel function address)',
    );
  }

  /** A comparison operator at the cursor, or undefined. */
  readOperator(): Token<ComparisonOperator> | undefined {
    const operator = OPERATORS.find((op) => this.startsWith(op));
    if (operator === undefined) return undefined;
    return { ...this.take(operator.length), text: operator };
  }

  /** `&&` or `||` at the cursor, or undefined. */
  readConnective(): Token<'&&' | '||'> | undefined {
    if (this.startsWith('&&')) return { ...this.take(2), text: '&&' };
    if (this.startsWith('||')) return { ...this.take(2), text: '||' };
    return undefined;
  }

  /**
   * A string in `'` or `"`: everything up to the same quote, which the kernel cannot escape.
   * Returns the token with its quotes; the content is `text.slice(1, -1)`.
   */
  readString(): Token {
    const quote = this.peek();
    const close = this.text.indexOf(quote ?? '', this.position + 1);
    if (close < 0) {
      const other = quote === '"' ? "'" : '"';
      throw new FilterProblem(
        this.position,
        `unterminated string: no closing ${quote}`,
        `a string ends at the next ${quote} and has no escapes; to put a ${quote} in one, quote it with ${other}`,
      );
    }
    return this.take(close + 1 - this.position);
  }

  /** A number as the kernel cuts it out: an optional `-`, then letters and digits (`0x1f`, `12abc`). */
  readNumber(): Token {
    let length = this.peek() === '-' ? 1 : 0;
    while (isKernelAlnum(this.peek(length))) length++;
    return this.take(length);
  }

  /** A `.function` address: letters and digits only, like the kernel's scan for it. */
  readAddress(): Token {
    let length = 0;
    while (isKernelAlnum(this.peek(length))) length++;
    return this.take(length);
  }

  /** `CPUS{…}` at the cursor (which starts with `CPUS`); the list is everything up to the first `}`. */
  readCpus(): Token {
    const start = this.position;
    if (this.peek(4) !== '{') {
      throw new FilterProblem(
        start + 4,
        "expected '{' right after CPUS",
        'write a CPU list as CPUS{0-3,6} with no space before the brace',
      );
    }
    const close = this.text.indexOf('}', start + 5);
    if (close < 0) {
      throw new FilterProblem(start + 4, "CPUS{ has no closing '}'", 'write a CPU list as CPUS{0-3,6}');
    }
    return this.take(close + 1 - start);
  }

  /** A `.function` name: the kernel takes every character up to the next whitespace. */
  readSymbol(): Token {
    let length = 0;
    while (this.position + length < this.text.length && !isKernelSpace(this.peek(length))) length++;
    return this.take(length);
  }
}
