import { describe, expect, it } from 'vitest';
import { needsKey, needsProblem, parseNeedsKey, parseResources, satisfies } from '../src/needs.js';
import { parseWorkerRecord } from '../src/resources.js';

describe('resources on NATS (needs.ts)', () => {
  it('parses --resources, naming the flag on bad input', () => {
    expect(parseResources('gpu=1, mem=4')).toEqual({ gpu: 1, mem: 4 });
    expect(() => parseResources('gpu')).toThrow(/--resources gpu: expected name=amount/);
    expect(() => parseResources('gpu=0.5')).toThrow(/gpu=0.5: amounts are whole numbers/);
    expect(() => parseResources('gpu=0')).toThrow(/gpu: 0 must be a whole number from 1/);
    expect(() => parseResources('g.pu=1')).toThrow(/letters and digits/);
    expect(() => parseResources('CPU=2')).toThrow(/CPU is the worker's --concurrency/);
  });

  it('a key names the needs in a fixed order and reads back; foreign names are not keys', () => {
    const key = needsKey({ mem: 4, CPU: 2, gpu: 1 });
    expect(key).toBe('CPU-2_gpu-1_mem-4');
    expect(parseNeedsKey(key)).toEqual({ CPU: 2, gpu: 1, mem: 4 });
    expect(parseNeedsKey('gpu-1_CPU-2')).toBeNull();
    expect(parseNeedsKey('something')).toBeNull();
    expect(needsProblem({ gpu: -1 })).toMatch(/whole number/);
  });

  it('a worker satisfies needs it declares at least', () => {
    expect(satisfies({ CPU: 2, gpu: 1 }, { gpu: 1, CPU: 1 })).toBe(true);
    expect(satisfies({ CPU: 2, gpu: 1 }, { gpu: 2 })).toBe(false);
    expect(satisfies({ CPU: 2 }, { unicorn: 1 })).toBe(false);
  });

  it('registry records keep valid resources and drop anything else', () => {
    const base = { capacity: 2, pid: 1, host: 'h', version: '1' };
    expect(parseWorkerRecord({ ...base, resources: { gpu: 1 } })?.resources).toEqual({ gpu: 1 });
    expect(parseWorkerRecord({ ...base, resources: { gpu: 'x' } })?.resources).toBeUndefined();
    expect(parseWorkerRecord({ ...base, resources: { CPU: 64 } })?.resources).toBeUndefined();
  });
});
