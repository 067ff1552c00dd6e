import { describe, expect, it } from 'vitest';
import { startNatsWorker } from '../src/index.js';

describe('startNatsWorker limits', () => {
  // port 1: nothing listens, so an error other than the option's would be a connection error
  it.each([
    [{ maxTasksPerWorker: 0 }, /maxTasksPerWorker \(--max-tasks-per-worker\) must be a positive integer/],
    [{ maxMemoryPerWorker: Number.POSITIVE_INFINITY }, /maxMemoryPerWorker \(--max-memory-per-worker\)/],
    [{ idleTimeout: -1 }, /idleTimeout \(--idle-timeout\)/],
    [{ holderWaitMs: 0 }, /NATS option 'holderWaitMs' must be a positive number, got 0/],
  ])('refuses %j before connecting, naming the option', async (limits, message) => {
    await expect(
      startNatsWorker({ servers: 'nats://127.0.0.1:1', allow: ['@parajob/core'], ...limits }),
    ).rejects.toThrow(message);
  });
});
