import { describe, expect, it } from 'vitest';
import { parseAddress, RemoteCalls } from '../src/index.js';

describe('a namespace seen from outside (RemoteCalls)', () => {
  it('turns batches sent and answered into calls with progress, errors with their task and worker, and ends quiet calls', () => {
    const calls = new RemoteCalls(1_000, 10_000);
    calls.batchSent('s.c1', 'b1', 0, 4, 1_000);
    calls.batchSent('s.c1', 'b2', 4, 4, 1_001);
    let [view] = calls.tracker.callViews();
    expect(view).toMatchObject({
      id: 's.c1',
      backend: 'nats',
      dispatched: 8,
      completed: 0,
      status: 'running',
    });
    calls.batchAnswered('s.c1', 'b1', 1_100, { failedTasks: [] });
    const error = Object.assign(new RangeError('bad 6'), { taskIndex: 6, worker: 'w-1' });
    calls.batchAnswered('s.c1', 'b2', 1_200, { error, failedTasks: [] });
    // an answer for a batch it did not see sent (before it started watching) is ignored
    calls.batchAnswered('s.c1', 'b9', 1_200, { failedTasks: [] });
    calls.sweep(1_500);
    expect(calls.tracker.callViews()[0]!.status).toBe('running');
    calls.sweep(2_300);
    [view] = calls.tracker.callViews();
    expect(view).toMatchObject({ completed: 4, failed: 1, status: 'failed', error: 'bad 6' });
    expect(calls.tracker.errorViews()).toEqual([
      { at: 1_200, callId: 's.c1', taskIndex: 6, name: 'RangeError', message: 'bad 6', worker: 'w-1' },
    ]);
  });

  it('ends a call whose last batches it never sees answered after staleMs', () => {
    const calls = new RemoteCalls(1_000, 10_000);
    calls.batchSent('s.c2', 'b1', 0, 2, 0);
    calls.sweep(9_999);
    expect(calls.tracker.callViews()[0]!.status).toBe('running');
    calls.sweep(10_000);
    expect(calls.tracker.callViews()[0]!.status).toBe('completed');
  });
});

describe('parseAddress', () => {
  it('reads PORT, HOST:PORT and [IPv6]:PORT, loopback by default', () => {
    expect(parseAddress('9464', '--metrics')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseAddress(':0', '--metrics')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseAddress('0.0.0.0:80', '--metrics')).toEqual({ host: '0.0.0.0', port: 80 });
    expect(parseAddress('[::1]:9464', '--metrics')).toEqual({ host: '::1', port: 9464 });
  });

  it('refuses what is not an address, naming the flag', () => {
    for (const bad of ['', 'host', 'host:', 'h:70000', 'a:b:1x'])
      expect(() => parseAddress(bad, '--listen')).toThrow(/^--listen ".*" is not HOST:PORT/);
  });
});
