import { describe, expect, it } from 'vitest';
import { SessionCheck } from '../src/liveness.js';
import { parseWorkerRecord } from '../src/resources.js';

describe('worker registry entries', () => {
  const good = { capacity: 4, pid: 123, host: 'h', version: '1.0.0' };

  it('accepts a worker record', () => {
    expect(parseWorkerRecord(good)).toEqual(good);
  });

  it('keeps the batches a worker runs (its heartbeat says, for the dashboard), when valid', () => {
    expect(parseWorkerRecord({ ...good, running: 3 })).toEqual({ ...good, running: 3 });
    expect(parseWorkerRecord({ ...good, running: -1 })).toEqual(good);
    expect(parseWorkerRecord({ ...good, running: 'x' })).toEqual(good);
  });

  it.each([
    ['not an object', 'garbage'],
    ['null', null],
    ['a fractional capacity', { ...good, capacity: 1.5 }],
    ['no capacity', { ...good, capacity: undefined }],
    ['a capacity of 0', { ...good, capacity: 0 }],
    ['a capacity no process has', { ...good, capacity: 1e12 }],
    ['a string capacity', { ...good, capacity: '4' }],
    ['no pid', { capacity: 4, host: 'h', version: '1' }],
    ['no host', { capacity: 4, pid: 1, version: '1' }],
  ])('ignores %s', (_, value) => {
    expect(parseWorkerRecord(value)).toBeNull();
  });
});

describe('session ids in names', () => {
  it('reads the session id that starts a blob name or a call token', () => {
    const session = 'ABCDEFGHIJKLMNOPQRSTUV';
    expect(SessionCheck.sessionOf(`${session}.call.0.body`)).toBe(session);
    expect(SessionCheck.sessionOf(`${session}.put.x`)).toBe(session);
  });

  it('ignores names that do not start with a session id (foreign entries are not ours to delete)', () => {
    for (const name of ['data.bin', 'short.x', 'ABCDEFGHIJKLMNOPQRSTU-.x', '', 'ABCDEFGHIJKLMNOPQRSTUVW.x'])
      expect(SessionCheck.sessionOf(name)).toBeUndefined();
    expect(SessionCheck.sessionOf(undefined)).toBeUndefined();
  });
});
