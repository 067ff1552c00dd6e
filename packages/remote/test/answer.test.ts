import v8 from 'node:v8';
import type { WireBatch } from '@parajob/core/backend';
import { describe, expect, it } from 'vitest';
import { unsendableResult } from '../src/answer.js';

const wire = (size: number, settle = false): WireBatch => ({
  v: 1,
  call: 'c',
  first: 10,
  fns: [{ name: 'f', module: './t.js' }],
  fnOf: null,
  size,
  args: Array.from({ length: size }, () => []),
  columnar: false,
  nested: null,
  depth: 0,
  settle,
});

function causeOf(value: unknown): unknown {
  try {
    v8.serialize(value);
  } catch (error) {
    return error;
  }
  throw new Error('expected v8.serialize to refuse the value');
}

describe('unsendableResult', () => {
  it('names the task and path of a value that does not clone', () => {
    const result = { values: [1, { cb: () => 1 }] };
    const answer = unsendableResult(wire(2), result, causeOf(result));
    expect(answer.values).toEqual([1]);
    expect(answer.error).toMatchObject({ pos: 1, error: { name: 'SerializationError' } });
    expect(() => v8.serialize(answer)).not.toThrow();
  });

  it('never throws for a value too deep to walk, and its answer encodes', () => {
    let deep: unknown[] = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const result = { values: [deep] };
    const answer = unsendableResult(wire(1), result, causeOf(result));
    expect(answer.values).toEqual([]);
    expect(answer.error).toMatchObject({ pos: 0, error: { name: 'SerializationError' } });
    expect(() => v8.serialize(answer)).not.toThrow();
  });

  it('answers without a batch (a payload that never decoded)', () => {
    const answer = unsendableResult(null, { values: [Symbol('x')] }, new Error('boom'));
    expect(answer.error?.pos).toBe(0);
    expect(() => v8.serialize(answer)).not.toThrow();
  });
});
