/**
 * A tiny arithmetic evaluator for `preDispatch` ('2 * nJobs'), never `eval`: numbers, the
 * variable `nJobs` (`n_jobs` too, for joblib users), + - * / // % **, unary minus and parentheses.
 * Bounded like joblib's `eval_expr`: at most 30 characters, every intermediate value at most 1e6.
 */
import { messages } from './messages.js';

export const MAX_EXPRESSION_LENGTH = 30;
export const MAX_EXPRESSION_MAGNITUDE = 1e6;

export class ExpressionError extends Error {
  override name = 'ExpressionError';
}

type Node =
  | { kind: 'num'; value: number }
  | { kind: 'var' }
  | { kind: 'neg'; operand: Node }
  | { kind: 'bin'; op: string; left: Node; right: Node };

type Token = { kind: 'num'; value: number; at: number } | { kind: 'op' | 'var'; text: string; at: number };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:(\d+(?:\.\d*)?|\.\d+)|(nJobs|n_jobs)|(\*\*|\/\/|[-+*/%()]))/y;
  let at = 0;
  while (at < source.length) {
    if (/^\s*$/.test(source.slice(at))) break;
    re.lastIndex = at;
    const m = re.exec(source);
    if (!m) {
      const skip = source.slice(at).search(/\S/);
      const pos = at + Math.max(skip, 0);
      throw new ExpressionError(messages.expression.badToken(source[pos] ?? '', pos));
    }
    const start = re.lastIndex - m[0].trimStart().length;
    if (m[1] !== undefined) tokens.push({ kind: 'num', value: Number(m[1]), at: start });
    else if (m[2] !== undefined) tokens.push({ kind: 'var', text: m[2], at: start });
    else tokens.push({ kind: 'op', text: m[3]!, at: start });
    at = re.lastIndex;
  }
  return tokens;
}

/** Parses with Python's precedence: `**` (right-assoc, binds tighter than a unary minus on its left) > unary > `* / // %` > `+ -`. */
export function parseExpression(source: string): Node {
  if (source.length > MAX_EXPRESSION_LENGTH)
    throw new ExpressionError(messages.expression.tooLong(MAX_EXPRESSION_LENGTH));
  const tokens = tokenize(source);
  let i = 0;
  const peek = () => tokens[i];
  const isOp = (text: string) => {
    const t = tokens[i];
    return t !== undefined && t.kind === 'op' && t.text === text;
  };
  const sum = (): Node => {
    let left = product();
    while (isOp('+') || isOp('-')) {
      const op = (tokens[i++] as { text: string }).text;
      left = { kind: 'bin', op, left, right: product() };
    }
    return left;
  };
  const product = (): Node => {
    let left = unary();
    while (isOp('*') || isOp('/') || isOp('//') || isOp('%')) {
      const op = (tokens[i++] as { text: string }).text;
      left = { kind: 'bin', op, left, right: unary() };
    }
    return left;
  };
  const unary = (): Node => {
    if (isOp('-')) {
      i++;
      return { kind: 'neg', operand: unary() };
    }
    if (isOp('+')) {
      i++;
      return unary();
    }
    return power();
  };
  const power = (): Node => {
    const base = atom();
    if (isOp('**')) {
      i++;
      return { kind: 'bin', op: '**', left: base, right: unary() };
    }
    return base;
  };
  const atom = (): Node => {
    const t = peek();
    if (t === undefined) throw new ExpressionError(messages.expression.unexpectedEnd());
    i++;
    if (t.kind === 'num') return { kind: 'num', value: t.value };
    if (t.kind === 'var') return { kind: 'var' };
    if (t.text === '(') {
      const inner = sum();
      if (!isOp(')')) {
        const next = peek();
        throw next
          ? new ExpressionError(
              messages.expression.badToken(next.kind === 'num' ? String(next.value) : next.text, next.at),
            )
          : new ExpressionError(messages.expression.unexpectedEnd());
      }
      i++;
      return inner;
    }
    throw new ExpressionError(messages.expression.badToken(t.text, t.at));
  };
  if (tokens.length === 0) throw new ExpressionError(messages.expression.unexpectedEnd());
  const tree = sum();
  const rest = peek();
  if (rest !== undefined) throw new ExpressionError(messages.expression.trailing(rest.at));
  return tree;
}

function bounded(value: number): number {
  if (!Number.isFinite(value) || Math.abs(value) > MAX_EXPRESSION_MAGNITUDE) {
    throw new ExpressionError(messages.expression.magnitude(MAX_EXPRESSION_MAGNITUDE));
  }
  return value;
}

export function evaluateExpression(tree: Node, nJobs: number): number {
  switch (tree.kind) {
    case 'num':
      return bounded(tree.value);
    case 'var':
      return bounded(nJobs);
    case 'neg':
      return -evaluateExpression(tree.operand, nJobs);
    case 'bin': {
      const a = evaluateExpression(tree.left, nJobs);
      const b = evaluateExpression(tree.right, nJobs);
      if ((tree.op === '/' || tree.op === '//' || tree.op === '%') && b === 0) {
        throw new ExpressionError(messages.expression.divisionByZero());
      }
      switch (tree.op) {
        case '+':
          return bounded(a + b);
        case '-':
          return bounded(a - b);
        case '*':
          return bounded(a * b);
        case '/':
          return bounded(a / b);
        case '//':
          return bounded(Math.floor(a / b));
        case '%':
          // Python's modulo takes the sign of the divisor
          return bounded(((a % b) + b) % b);
        default:
          // '**': check the magnitude before computing, so 9**9**9 never builds a huge number
          if (
            Math.abs(a) > 1 &&
            Math.abs(b) * Math.log10(Math.abs(a)) > Math.log10(MAX_EXPRESSION_MAGNITUDE)
          ) {
            throw new ExpressionError(messages.expression.magnitude(MAX_EXPRESSION_MAGNITUDE));
          }
          return bounded(a ** b);
      }
    }
  }
}

export type PreDispatch = { kind: 'all' } | { kind: 'expr'; tree: Node; source: string };

/** Validates `preDispatch` at construction; `resolvePreDispatch` computes the number of tasks once nJobs is known. */
export function parsePreDispatch(value: unknown): PreDispatch {
  if (value === 'all') return { kind: 'all' };
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 1)
      throw new RangeError(messages.option.preDispatch(value, 'not a positive integer'));
    return { kind: 'expr', tree: { kind: 'num', value }, source: String(value) };
  }
  if (typeof value !== 'string') throw new TypeError(messages.option.preDispatch(value, 'wrong type'));
  try {
    const tree = parseExpression(value);
    // evaluate once with a typical nJobs so an expression that always fails is caught at construction
    evaluateExpression(tree, 1);
    return { kind: 'expr', tree, source: value };
  } catch (error) {
    if (error instanceof ExpressionError)
      throw new RangeError(messages.option.preDispatch(value, error.message));
    throw error;
  }
}

export function resolvePreDispatch(pre: PreDispatch, nJobs: number): number {
  if (pre.kind === 'all') return Number.POSITIVE_INFINITY;
  let value: number;
  try {
    value = Math.trunc(evaluateExpression(pre.tree, nJobs));
  } catch (error) {
    if (error instanceof ExpressionError)
      throw new RangeError(messages.option.preDispatch(pre.source, error.message));
    throw error;
  }
  if (value < 1)
    throw new RangeError(messages.option.preDispatch(pre.source, messages.expression.notPositive(value)));
  return value;
}
