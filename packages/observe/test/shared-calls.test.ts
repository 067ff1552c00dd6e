/**
 * The dashboard thread's feed (shared-calls.ts) and its reader (shared-calls-view.ts), both on this
 * thread: the counters, messages and "unseen" stamp a page's update is built from.
 */
import type { CallInfo } from '@parajob/core/backend';
import { describe, expect, it } from 'vitest';
import { CallFeed, type FeedMessage, SLOTS, sharedCallsBuffer } from '../src/shared-calls.js';
import { SharedCallsView } from '../src/shared-calls-view.js';

function setup() {
  const buffer = sharedCallsBuffer();
  const view = new SharedCallsView(buffer, '1.2.3');
  const queued: FeedMessage[] = [];
  const feed = new CallFeed(buffer, { postMessage: (m) => queued.push(structuredClone(m)) });
  /** Delivers the messages posted so far, as the thread's port does later. */
  const deliver = () => {
    for (const m of queued.splice(0)) view.apply(m);
  };
  return { feed, view, deliver };
}

const info = (callId: string, total: number | null = 10): CallInfo => ({
  callId,
  backend: 'inline',
  nJobs: 2,
  workers: 2,
  inCaller: false,
  mode: 'list',
  total,
  depth: 0,
});

describe('the dashboard feed', () => {
  it('counts batches through the shared counters, without a message per batch', async () => {
    const { feed, view, deliver } = setup();
    const t0 = Date.now();
    feed.callStarted(info('a'), t0);
    deliver();
    feed.batchStarted('a', 0, 4, t0 + 1);
    feed.batchStarted('a', 4, 4, t0 + 2);
    feed.batchEnded('a', 0, 4, t0 + 3, 2, undefined, 0);
    // no message delivered since the start: the counts come from the buffer
    const state = view.state(t0 + 10, true);
    const call = state.calls[0]!;
    expect(call).toMatchObject({
      id: 'a',
      status: 'running',
      dispatched: 8,
      completed: 4,
      batchesInFlight: 1,
    });
    expect(state.queueDepth).toBe(4);
    expect(state.workers[0]).toMatchObject({ version: '1.2.3', running: 1, capacity: 2 });
    // the oldest change not shown yet was the first batch's start
    expect(state.oldestChangeAt).toBe(t0);
    expect(state.throughput.tasks.reduce((a, b) => a + b, 0)).toBe(4);
    // shown: the next update has nothing older than itself
    expect(view.state(t0 + 20, true).oldestChangeAt).toBe(t0 + 20);
  });

  it('wakes the reader on the first unseen change only', async () => {
    const { feed, view, deliver } = setup();
    feed.callStarted(info('a'), Date.now());
    deliver();
    view.state(Date.now(), true);
    let woke = false;
    const waiting = view.whenChanged().then(() => {
      woke = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(woke).toBe(false);
    feed.batchStarted('a', 0, 1, Date.now());
    await waiting;
    expect(woke).toBe(true);
    // a change is still unseen: the next wait settles at once
    await view.whenChanged();
  });

  it('ends a call with its final counts, errors with their task, and a failure outside batches', () => {
    const { feed, view, deliver } = setup();
    const t0 = Date.now();
    feed.callStarted(info('ok', null), t0);
    feed.batchStarted('ok', 0, 3, t0);
    feed.batchEnded('ok', 0, 3, t0 + 1, 1, undefined, 0);
    feed.callEnded('ok', t0 + 2, undefined);
    feed.callStarted(info('bad'), t0 + 3);
    feed.batchStarted('bad', 0, 2, t0 + 3);
    feed.batchEnded('bad', 0, 2, t0 + 4, 1, Object.assign(new RangeError('no 1'), { taskIndex: 1 }), 0);
    feed.callEnded('bad', t0 + 5, new RangeError('no 1'));
    feed.callStarted(info('input'), t0 + 6);
    feed.callEnded('input', t0 + 7, new TypeError('the input threw'));
    deliver();
    const state = view.state(t0 + 10, true);
    expect(state.calls.map((c) => [c.id, c.status])).toEqual([
      ['input', 'failed'],
      ['bad', 'failed'],
      ['ok', 'completed'],
    ]);
    // an unknown total becomes what completed
    expect(state.calls[2]).toMatchObject({ total: 3, completed: 3, batchesInFlight: 0 });
    expect(state.errors.map((e) => [e.callId, e.taskIndex, e.name, e.message])).toEqual([
      ['input', null, 'TypeError', 'the input threw'],
      ['bad', 1, 'RangeError', 'no 1'],
    ]);
    expect(state.oldestChangeAt).toBe(t0);
  });

  it('keeps a finished call apart from the next call given its slot', () => {
    const { feed, view, deliver } = setup();
    const t0 = Date.now();
    feed.callStarted(info('first'), t0);
    deliver();
    feed.batchStarted('first', 0, 5, t0);
    feed.batchEnded('first', 0, 5, t0, 1, undefined, 0);
    view.state(t0, true);
    feed.callEnded('first', t0, undefined);
    // the slot is reused before the reader got 'end': it must not read the new call's counters
    feed.callStarted(info('second'), t0);
    feed.batchStarted('second', 0, 1, t0);
    expect(view.state(t0, false).calls.find((c) => c.id === 'first')).toMatchObject({
      dispatched: 5,
      batchesInFlight: 0,
    });
    deliver();
    const calls = view.state(t0, false).calls;
    expect(calls.find((c) => c.id === 'first')).toMatchObject({ status: 'completed', completed: 5 });
    expect(calls.find((c) => c.id === 'second')).toMatchObject({ status: 'running', dispatched: 1 });
  });

  it('feeds calls beyond the shared slots by messages', () => {
    const { feed, view, deliver } = setup();
    const t0 = Date.now();
    for (let i = 0; i <= SLOTS; i++) feed.callStarted(info(`c${i}`), t0);
    feed.batchStarted(`c${SLOTS}`, 0, 7, t0);
    deliver();
    const call = view.state(t0, false).calls.find((c) => c.id === `c${SLOTS}`);
    expect(call).toMatchObject({ dispatched: 7, batchesInFlight: 1 });
  });
});
