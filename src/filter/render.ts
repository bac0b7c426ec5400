/**
 * The canonical text of a filter tree: what perf-bridge hands the kernel. Parentheses only where
 * `&&` binds tighter than `||` would regroup, `!` always before a parenthesis or another `!`,
 * strings in `"` unless they hold one. A `.function` name ends at whitespace in the kernel's eyes,
 * so a space always follows it, even at the end.
 */
import type { FilterNode, PredicateNode, ValueNode } from './ast.js';

/** `spaced`: `a == 1 && !(b ~ "x*")`; `compact`: `a==1&&!(b~"x*")`, for filters near the length limit. */
export type RenderStyle = 'spaced' | 'compact';

interface RenderToken {
  readonly text: string;
  /** A `.function` name, which must be followed by whitespace. */
  readonly symbol?: boolean;
}

/** The canonical text of `tree`. */
export function renderFilter(tree: FilterNode, style: RenderStyle = 'spaced'): string {
  const tokens = nodeTokens(tree);
  let text = '';
  tokens.forEach((token, i) => {
    const previous = tokens[i - 1];
    if (previous !== undefined && needsSpace(previous, token, style)) text += ' ';
    text += token.text;
  });
  return tokens.at(-1)?.symbol === true ? `${text} ` : text;
}

function needsSpace(previous: RenderToken, token: RenderToken, style: RenderStyle): boolean {
  if (previous.symbol === true) return true;
  if (style === 'compact') return false;
  return previous.text !== '(' && previous.text !== '!' && token.text !== ')';
}

function nodeTokens(node: FilterNode): RenderToken[] {
  switch (node.kind) {
    case 'predicate':
      return predicateTokens(node);
    case 'not':
      return [{ text: '!' }, ...(node.operand.kind === 'not' ? nodeTokens(node.operand) : grouped(node.operand))];
    case 'and':
      return joined(
        node.operands.map((operand) => (operand.kind === 'or' ? grouped(operand) : nodeTokens(operand))),
        '&&',
      );
    case 'or':
      return joined(node.operands.map(nodeTokens), '||');
  }
}

function grouped(node: FilterNode): RenderToken[] {
  return [{ text: '(' }, ...nodeTokens(node), { text: ')' }];
}

function joined(parts: RenderToken[][], connective: '&&' | '||'): RenderToken[] {
  return parts.flatMap((part, i) => (i === 0 ? part : [{ text: connective }, ...part]));
}

function predicateTokens(predicate: PredicateNode): RenderToken[] {
  const { name, suffix } = predicate.field;
  return [
    { text: suffix === undefined ? name : `${name}.${suffix}` },
    { text: predicate.operator.operator },
    valueToken(predicate.value),
  ];
}

function valueToken(value: ValueNode): RenderToken {
  switch (value.kind) {
    case 'number':
      return { text: value.text };
    case 'string': {
      const quote = value.content.includes('"') ? "'" : '"';
      return { text: `${quote}${value.content}${quote}` };
    }
    case 'cpus':
      return { text: `CPUS{${value.list}}` };
    case 'symbol':
      return { text: value.name, symbol: true };
  }
}
