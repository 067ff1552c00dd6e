import { describe, expect, it } from 'vitest';
import {
  evaluateExpression,
  parseExpression,
  parsePreDispatch,
  resolvePreDispatch,
} from '../src/expression.js';

const ev = (s: string, nJobs = 2) => evaluateExpression(parseExpression(s), nJobs);

describe('preDispatch expressions (joblib eval_expr)', () => {
  it('evaluates arithmetic with nJobs', () => {
    expect(ev('2 * nJobs')).toBe(4);
    expect(ev('2*n_jobs', 3)).toBe(6);
    expect(ev('nJobs + 1')).toBe(3);
    expect(ev('(nJobs + 1) * 3')).toBe(9);
    expect(ev('7 // 2')).toBe(3);
    expect(ev('-7 // 2')).toBe(-4);
    expect(ev('7 % 3')).toBe(1);
    expect(ev('-7 % 3')).toBe(2);
    expect(ev('2 ** 3 ** 2')).toBe(512);
    expect(ev('-2 ** 2')).toBe(-4);
    expect(ev('nJobs / 4')).toBe(0.5);
    expect(ev('1.5 * nJobs')).toBe(3);
  });

  it.each([
    ['__import__("os")', /unexpected/],
    ['nJobs; process.exit()', /unexpected/],
    ['x * 2', /unexpected 'x'/],
    ['2 *', /ends too early/],
    ['(2', /ends too early/],
    ['2 3', /unexpected input/],
    ['1 / 0', /division by zero/],
    ['1 // (nJobs - nJobs)', /division by zero/],
    ['9 ** 9 ** 9', /exceeds/],
    ['1000 * 1000 * 2', /exceeds/],
    ['1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1', /longer than 30/],
    ['', /ends too early/],
  ])('rejects %j', (source, message) => {
    expect(() => parsePreDispatch(source)).toThrow(message);
  });

  it('resolves against the real nJobs and never below one task', () => {
    expect(resolvePreDispatch(parsePreDispatch('2 * nJobs'), 4)).toBe(8);
    expect(resolvePreDispatch(parsePreDispatch('all'), 4)).toBe(Number.POSITIVE_INFINITY);
    expect(resolvePreDispatch(parsePreDispatch(3), 4)).toBe(3);
    expect(resolvePreDispatch(parsePreDispatch('nJobs / 3'), 4)).toBe(1);
    expect(() => resolvePreDispatch(parsePreDispatch('nJobs - 2'), 2)).toThrow(/at least 1 task/);
  });

  it('never uses eval or Function', async () => {
    const { readFile } = await import('node:fs/promises');
    const source = await readFile(new URL('../src/expression.ts', import.meta.url), 'utf8');
    expect(source).not.toMatch(/\beval\(|new Function|Function\(/);
  });
});
