import { describe, expect, it, vi } from 'vitest';
import { isOutage, SERVER_OUTAGE_MS, ServerOutage, untilServerBack } from '../src/outage.js';

const timeout = () => Object.assign(new Error('timeout'), { name: 'TimeoutError' });

describe('riding out a server outage', () => {
  it('tells outages from refusals', () => {
    expect(isOutage(timeout())).toBe(true);
    expect(isOutage(new Error('503'))).toBe(true);
    expect(isOutage(Object.assign(new Error('x'), { name: 'ConnectionError' }))).toBe(true);
    expect(isOutage(new Error('Permissions Violation for Publish to "x" (timeout)'))).toBe(false);
    expect(isOutage(new Error('message size exceeds max_payload'))).toBe(false);
    expect(isOutage(new Error("the large value 'x' is missing from the object store"))).toBe(false);
  });

  it('retries an outage until the server answers, and rethrows anything else at once', async () => {
    let calls = 0;
    const value = await untilServerBack('testing', async () => {
      if (++calls < 3) throw timeout();
      return 'back';
    });
    expect(value).toBe('back');
    expect(calls).toBe(3);
    const refused = new Error('permission denied');
    await expect(untilServerBack('testing', () => Promise.reject(refused))).rejects.toBe(refused);
  });

  it('stops at once when told to (an aborted call)', async () => {
    const error = timeout();
    await expect(
      untilServerBack(
        'testing',
        () => Promise.reject(error),
        () => true,
      ),
    ).rejects.toBe(error);
  });

  it('gives up after SERVER_OUTAGE_MS with a ServerOutage that says what and what to do', async () => {
    vi.useFakeTimers();
    try {
      const failing = untilServerBack('publishing batch b1', () => Promise.reject(timeout()));
      const settled = failing.catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(SERVER_OUTAGE_MS + 1_000);
      const error = await settled;
      expect(error).toBeInstanceOf(ServerOutage);
      expect((error as Error).message).toMatch(/did not answer for 30000 ms while publishing batch b1/);
      expect((error as Error).message).toMatch(/check that nats-server is running/i);
    } finally {
      vi.useRealTimers();
    }
  });
});
