import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nestedBackendOf } from '@parajob/core/backend';
import { describe, expect, it } from 'vitest';
import { THREAD_LIMIT_VARS, workerEnv, workerExecArgv } from '../src/env.js';
import { ChildProcessBackend } from '../src/index.js';
import { normalizeOptions } from '../src/options.js';
import { CallBuffers, SharedBufferCache } from '../src/shared-buffers.js';
import { StatusFile, StatusWriter } from '../src/status.js';
import { resolveTempFolder, SHM } from '../src/temp-folder.js';

describe('workerEnv', () => {
  const limits = (env: Record<string, string>) => THREAD_LIMIT_VARS.map((n) => env[n]);

  it('defaults every thread limit to max(cpus / nJobs, 1) and marks the worker', () => {
    expect(limits(workerEnv(2, null, {}, {}, 8))).toEqual(['4', '4', '4', '4']);
    expect(limits(workerEnv(16, null, {}, {}, 8))).toEqual(['1', '1', '1', '1']);
    expect(workerEnv(2, null, {}, {}, 8).PARAJOB_WORKER).toBe('1');
  });

  it('keeps a value set in the parent or in options.env unless innerMaxNumThreads is given', () => {
    const env = workerEnv(2, null, { MKL_NUM_THREADS: '5' }, { OPENBLAS_NUM_THREADS: '4', PATH: '/bin' }, 8);
    expect(limits(env)).toEqual(['4', '4', '4', '5']);
    expect(env.PATH).toBe('/bin');
    expect(limits(workerEnv(2, 1, { MKL_NUM_THREADS: '5' }, { OPENBLAS_NUM_THREADS: '4' }, 8))).toEqual([
      '1',
      '1',
      '1',
      '1',
    ]);
  });
});

describe('workerExecArgv', () => {
  it('inherits the parent flags (so --import tsx reaches workers), drops debugger and eval flags, appends its own last', () => {
    const parent = [
      '--import',
      'tsx',
      '--inspect-brk=9229',
      '--max-old-space-size=4096',
      '-e',
      'code()',
      '--inspect-port',
      '0',
    ];
    expect(workerExecArgv(['--max-old-space-size=64'], true, parent)).toEqual([
      '--no-concurrent-recompilation',
      '--import',
      'tsx',
      '--max-old-space-size=4096',
      '--max-old-space-size=64',
    ]);
    expect(workerExecArgv(['--no-warnings'], false, parent)).toEqual([
      '--no-concurrent-recompilation',
      '--no-warnings',
    ]);
    // a user's own choice comes later and wins
    expect(workerExecArgv(['--concurrent-recompilation'], false, parent).at(-1)).toBe(
      '--concurrent-recompilation',
    );
  });
});

describe('options', () => {
  it('accepts the documented options and refuses the rest with a message naming the option', () => {
    expect(normalizeOptions({ execArgv: ['--x'], env: { A: '1' }, idleTimeout: 0 })).toMatchObject({
      idleTimeout: 0,
      inheritExecArgv: true,
    });
    expect(() => new ChildProcessBackend({ execArgv: 'x' } as never)).toThrow(/execArgv/);
    expect(() => new ChildProcessBackend({ env: { A: 1 } } as never)).toThrow(/env\.A/);
    expect(() => new ChildProcessBackend({ idleTimeout: -1 })).toThrow(RangeError);
    expect(() => new ChildProcessBackend({ servers: 'x' } as never)).toThrow(/'servers' is not an option/);
  });

  it('effectiveNJobs: negative counts from the CPU count, 0 is a RangeError', () => {
    const b = new ChildProcessBackend();
    expect(b.effectiveNJobs(3)).toBe(3);
    expect(b.effectiveNJobs(-1)).toBeGreaterThanOrEqual(1);
    expect(() => b.effectiveNJobs(0)).toThrow(RangeError);
    expect(b.supportsInnerMaxNumThreads).toBe(true);
    expect(nestedBackendOf(b)).toMatchObject({
      backend: { name: 'sequential', nestingLevel: 1 },
      nJobs: null,
    });
  });
});

describe('resolveTempFolder', () => {
  it('tempFolder, then PARAJOB_TEMP_FOLDER, then /dev/shm with room, then the system temp dir', () => {
    const roomy = () => 1e12;
    const full = () => 0;
    expect(resolveTempFolder('/mine', 10, { PARAJOB_TEMP_FOLDER: '/env' }, roomy)).toBe('/mine');
    expect(resolveTempFolder(null, 10, { PARAJOB_TEMP_FOLDER: '/env' }, roomy)).toBe('/env');
    expect(resolveTempFolder(null, 10, {}, roomy)).toBe(SHM);
    expect(resolveTempFolder(null, 10, {}, full)).toBe(tmpdir());
    expect(resolveTempFolder(null, 1e12, {}, () => 1e12)).toBe(tmpdir());
  });
});

describe('status file', () => {
  it('reads back what the worker side wrote, and nothing before the first write', () => {
    const file = new StatusFile();
    expect(file.read()).toBeUndefined();
    const writer = new StatusWriter(file.fd);
    const before = Date.now();
    writer.write(7, 3);
    const status = file.read()!;
    expect(status).toMatchObject({ seq: 7, position: 3 });
    expect(status.startedAt).toBeGreaterThanOrEqual(before);
    file.close();
    expect(file.read()).toBeUndefined();
  });
});

describe('shared buffers', () => {
  it('writes a buffer once per call however many tasks use it, and each worker reads it once', () => {
    const base = mkdtempSync(join(tmpdir(), 'parajob-cp-unit-'));
    try {
      const call = new CallBuffers('call-1', base, 100);
      const big = new Float64Array(1000).map((_, i) => i);
      const small = new Uint8Array(10);
      const args1 = call.replace([big, { nested: [big] }, small]);
      const args2 = call.replace([big]);
      expect(readdirSync(call.path!)).toEqual(['0.bin']);
      expect(args1[2]).toBe(small);
      expect(args1[0]).toEqual(args2[0]);

      const cache = new SharedBufferCache();
      const r1 = cache.restore(args1) as [Float64Array, { nested: Float64Array[] }];
      const r2 = cache.restore(args2) as [Float64Array];
      expect(r1[0]).toBeInstanceOf(Float64Array);
      expect(r1[0][999]).toBe(999);
      expect(r1[1].nested[0]).toBe(r1[0]);
      expect(r2[0]).toBe(r1[0]);
      expect(cache.size).toBe(1);
      cache.release('call-1');
      expect(cache.size).toBe(0);

      const folder = call.path!;
      call.remove();
      expect(existsSync(folder)).toBe(false);
      expect(() => new SharedBufferCache().restore(args2)).toThrow(/could not be read by the worker/);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  it('keeps the bytes of a view into a larger buffer, and DataViews', () => {
    const base = mkdtempSync(join(tmpdir(), 'parajob-cp-unit-'));
    try {
      const whole = new Uint16Array(1000).map((_, i) => i);
      const view = whole.subarray(100, 900);
      const dv = new DataView(whole.buffer, 0, 400);
      const call = new CallBuffers('call-2', base, 100);
      const [v, d] = new SharedBufferCache().restore(call.replace([view, dv])) as [Uint16Array, DataView];
      expect(v).toBeInstanceOf(Uint16Array);
      expect(v.length).toBe(800);
      expect(v[0]).toBe(100);
      expect(d).toBeInstanceOf(DataView);
      expect(d.byteLength).toBe(400);
      expect(d.getUint16(2, true)).toBe(1);
      call.remove();
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
