import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { JsonlError, parseJsonlLine, readJsonl, readLines } from '../src/jsonl.js';

describe('parseJsonlLine', () => {
  it('an array is the argument list, any other value the single argument', () => {
    expect(parseJsonlLine('[1, "a", null]', 1)).toEqual([1, 'a', null]);
    expect(parseJsonlLine('{"x": 1}', 1)).toEqual([{ x: 1 }]);
    expect(parseJsonlLine('"text"', 1)).toEqual(['text']);
    expect(parseJsonlLine('null', 1)).toEqual([null]);
    expect(parseJsonlLine('[[1, 2]]', 1)).toEqual([[1, 2]]);
  });
  it('a blank line is null (skipped)', () => {
    expect(parseJsonlLine('   \t', 4)).toBeNull();
  });
  it('invalid JSON throws a JsonlError with the line number', () => {
    let caught: unknown;
    try {
      parseJsonlLine('{oops', 7);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(JsonlError);
    expect((caught as JsonlError).line).toBe(7);
    expect((caught as JsonlError).message).toMatch(/^line 7: not valid JSON/);
  });
});

describe('readJsonl', () => {
  it('numbers lines from 1, counting blank lines it skips', async () => {
    const calls = [];
    for await (const call of readJsonl(['1', '', '[2, 3]', '  ', '"x"'])) calls.push(call);
    expect(calls).toEqual([
      { line: 1, args: [1] },
      { line: 3, args: [2, 3] },
      { line: 5, args: ['x'] },
    ]);
  });
  it('stops at a bad line with its number, after yielding the lines before it', async () => {
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const call of readJsonl(['1', '2', 'nope', '4'])) seen.push(call.line);
      })(),
    ).rejects.toMatchObject({ name: 'JsonlError', line: 3 });
    expect(seen).toEqual([1, 2]);
  });
});

describe('readLines', () => {
  it('splits on \\n and \\r\\n across chunk boundaries and drops a leading byte-order mark', async () => {
    const lines = [];
    for await (const line of readLines(Readable.from(['\uFEFF[1]\r', '\n[2', ']\n[3]']))) lines.push(line);
    expect(lines).toEqual(['[1]', '[2]', '[3]']);
  });
});
