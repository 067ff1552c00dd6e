import { afterEach, describe, expect, it } from 'vitest';
import {
  BackendBase,
  type CallInfo,
  encodeBatch,
  type Instrumentation,
  runBatch,
  type SubmitOptions,
  setInstrumentation,
  TaskBatch,
} from '../src/backend-api.js';
import { delayed, Parallel } from '../src/index.js';

class Inline extends BackendBase {
  readonly name = 'inline';
  seen: unknown[] = [];
  submit(batch: TaskBatch, { signal }: SubmitOptions) {
    this.seen.push(this);
    return batch.run({ signal });
  }
}

const double = (x: number) => 2 * x;

afterEach(() => setInstrumentation(undefined));

describe('the instrumentation hook', () => {
  it('sees each call and each submitted batch, and the backend keeps being itself', async () => {
    const events: string[] = [];
    let info: CallInfo | undefined;
    setInstrumentation({
      startCall(i) {
        info = i;
        events.push('start');
        return {
          run: (fn) => fn(),
          batch(b) {
            events.push(`batch ${b.firstIndex}+${b.size}`);
            return { traceparent: 'tp', run: (fn) => fn(), end: (e) => events.push(e ? 'fail' : 'done') };
          },
          end: (e) => events.push(e ? 'call failed' : 'call done'),
        };
      },
    });
    const backend = new Inline();
    const out = await new Parallel({ nJobs: 2, backend, batchSize: 2 }).run(
      [1, 2, 3, 4].map((x) => delayed(double)(x)),
    );
    expect(out).toEqual([2, 4, 6, 8]);
    expect(info).toMatchObject({
      backend: 'inline',
      nJobs: 2,
      workers: 2,
      total: 4,
      mode: 'list',
      inCaller: false,
    });
    expect(events[0]).toBe('start');
    expect(events.at(-1)).toBe('call done');
    expect(events.filter((e) => e.startsWith('batch'))).toEqual(['batch 0+2', 'batch 2+2']);
    expect(events.filter((e) => e === 'done')).toHaveLength(2);
    // submit ran on the backend itself, not on a wrapper
    expect(backend.seen.every((b) => b === backend)).toBe(true);
  });

  it('reports a failed call once, with its error', async () => {
    const ends: unknown[] = [];
    setInstrumentation({
      startCall: () => ({
        run: (fn) => fn(),
        batch: () => ({ run: (fn) => fn(), end() {} }),
        end: (e) => ends.push(e),
      }),
    });
    const boom = (x: number) => {
      if (x === 1) throw new RangeError('no 1');
      return x;
    };
    await expect(
      new Parallel({ nJobs: 2, backend: new Inline() }).run([0, 1].map((x) => delayed(boom)(x))),
    ).rejects.toThrow('no 1');
    expect(ends).toHaveLength(1);
    expect(ends[0]).toBeInstanceOf(RangeError);
  });

  it('the wire carries the batch trace context only when there is one, and workers run it in the hook', async () => {
    const batch = new TaskBatch({
      callId: 'c',
      firstIndex: 0,
      tasks: [delayed(double)(3)],
      nested: null,
      depth: 1,
      settle: false,
    });
    const plain = encodeBatch(batch);
    expect('traceparent' in plain).toBe(false);
    batch.traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const traced = encodeBatch(batch);
    expect(traced.traceparent).toBe(batch.traceparent);
    const ran: string[] = [];
    const hook: Instrumentation = {
      startCall: () => undefined,
      runWorkerBatch: (wire, run) => {
        ran.push(wire.traceparent!);
        return run();
      },
    };
    setInstrumentation(hook);
    expect(Array.from((await runBatch(plain)).values)).toEqual([6]);
    expect(ran).toEqual([]);
    expect(Array.from((await runBatch(traced)).values)).toEqual([6]);
    expect(ran).toEqual([batch.traceparent]);
  });
});
