import { getActiveBackend, parallelConfig } from '@parajob/core';
import { describe, expect, it } from 'vitest';
import { GrpcBackend, parseListen, register, startGrpcWorker } from '../src/index.js';

describe('--listen', () => {
  it('binds a bare port to loopback, any other host only when written', () => {
    expect(parseListen('50051')).toEqual({ host: '127.0.0.1', port: 50051 });
    expect(parseListen(':0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseListen('0.0.0.0:7000')).toEqual({ host: '0.0.0.0', port: 7000 });
    expect(parseListen('[::1]:7000')).toEqual({ host: '::1', port: 7000 });
    expect(() => parseListen('host')).toThrow(/--listen must be PORT or HOST:PORT/);
    expect(() => parseListen('1:2:3')).toThrow(RangeError);
    expect(() => parseListen('70000')).toThrow(RangeError);
  });
});

describe('GrpcBackend options', () => {
  it('validates options and names the one at fault', () => {
    expect(() => new GrpcBackend({} as never)).toThrow(/options\.workers must be a non-empty array/);
    expect(() => new GrpcBackend({ workers: ['nohost'] })).toThrow(/not 'host:port'/);
    expect(() => new GrpcBackend({ workers: ['h:1'], retries: -1 })).toThrow(/options\.retries/);
    expect(() => new GrpcBackend({ workers: ['h:1'], maxMessageBytes: 0 })).toThrow(
      /options\.maxMessageBytes/,
    );
    expect(() => new GrpcBackend({ workers: ['h:1'], tls: { cert: 'x' } })).toThrow(/cert and key/);
    expect(() => new GrpcBackend({ workers: ['h:1'], worker: 1 } as never)).toThrow(
      /options\.worker is not an option/,
    );
    expect(() => new GrpcBackend({ workers: ['h:1'] }).effectiveNJobs(0)).toThrow(RangeError);
  });

  it("registers as 'grpc' and receives parallelConfig's backend options", () => {
    register();
    const active = parallelConfig({ backend: 'grpc', workers: ['127.0.0.1:50051'], retries: 2 }, () =>
      getActiveBackend(),
    );
    expect(active.backend).toBeInstanceOf(GrpcBackend);
    expect(active.backend.name).toBe('grpc');
  });
});

describe('startGrpcWorker limits', () => {
  it.each([
    [{ maxTasksPerWorker: 0 }, /maxTasksPerWorker \(--max-tasks-per-worker\) must be a positive integer/],
    [{ maxMemoryPerWorker: -64 }, /maxMemoryPerWorker \(--max-memory-per-worker\)/],
    [{ idleTimeout: 1.5 }, /idleTimeout \(--idle-timeout\)/],
  ])('refuses %j before listening, naming the option', async (limits, message) => {
    await expect(startGrpcWorker({ listen: 0, allow: ['@parajob/core'], ...limits })).rejects.toThrow(
      message,
    );
  });

  it('starts with valid limits', async () => {
    const worker = await startGrpcWorker({
      listen: 0,
      allow: ['@parajob/core'],
      maxTasksPerWorker: 2,
      maxMemoryPerWorker: 128,
      idleTimeout: 0,
    });
    await worker.close();
  });
});
