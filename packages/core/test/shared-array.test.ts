import { describe, expect, it } from 'vitest';
import { sharedArray, toShared } from '../src/index.js';

describe('sharedArray / toShared', () => {
  it('allocates a zero-filled typed array of any kind on a SharedArrayBuffer', () => {
    const a = sharedArray(Float64Array, 5);
    expect(a).toBeInstanceOf(Float64Array);
    expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Array.from(a)).toEqual([0, 0, 0, 0, 0]);
    expect(sharedArray(BigInt64Array, 2).buffer.byteLength).toBe(16);
    expect(sharedArray(Uint8Array, 0)).toHaveLength(0);
  });

  it('rejects what is not a typed array constructor or a length', () => {
    expect(() => sharedArray(Array as never, 3)).toThrow(/Kind must be a typed array constructor.*got/);
    expect(() => sharedArray(Float64Array, -1)).toThrow(/length must be a non-negative integer, got -1/);
    expect(() => sharedArray(Float64Array, 1.5)).toThrow(RangeError);
  });

  it('copies a plain array once onto shared memory, and returns a shared one as it is', () => {
    const plain = Float64Array.of(1.5, -0, Number.NaN);
    const shared = toShared(plain);
    expect(shared.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Object.is(shared[1], -0)).toBe(true);
    expect(shared[2]).toBeNaN();
    expect(shared).not.toBe(plain);
    expect(toShared(shared)).toBe(shared);
    const view = new Int16Array(Int16Array.of(1, 2, 3, 4).buffer, 2, 2);
    expect(Array.from(toShared(view))).toEqual([2, 3]);
    expect(() => toShared([1, 2] as never)).toThrow(/toShared\(array\) needs a typed array/);
  });
});
