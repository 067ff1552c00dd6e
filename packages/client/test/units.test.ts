/** Unit tests of the pieces that need no worker: ref markers, put's shared form, options, wait's checks. */
import { describe, expect, it } from 'vitest';
import { makeActorHandle } from '../src/actor-handle.js';
import { Outbox } from '../src/local/outbox.js';
import { ObjectRef } from '../src/object-ref.js';
import {
  DEFAULT_TASK_OPTIONS,
  resolveActorOptions,
  resolveTaskOptions,
  retriesError,
} from '../src/options.js';
import { decodeRefs, encodeRefs, SHARE_BYTES, shareLarge } from '../src/ref-codec.js';
import { wait } from '../src/waiting.js';

const resolver = {
  ref: (id: string) => new ObjectRef(id),
  actor: (id: string, name: string) => ({ id, name }),
};

describe('ref markers', () => {
  it('leaves a value without refs untouched (same object, no copy)', () => {
    const value = { a: [1, 2, { b: 'c' }], m: new Map([[1, 2]]), big: new Float64Array(10) };
    const encoded = encodeRefs(value);
    expect(encoded.refs).toBe(false);
    expect(encoded.value).toBe(value);
  });

  it('replaces refs and actor handles anywhere, copying only the containers on the way, and rebuilds them', () => {
    const ref = new ObjectRef('r1');
    const handle = makeActorHandle('a1', 'Counter', () => undefined);
    const untouched = { deep: [1] };
    const value = { list: [0, ref], map: new Map([['k', ref]]), set: new Set([handle]), untouched };
    const seen: ObjectRef[] = [];
    const encoded = encodeRefs(value, (r) => seen.push(r));
    expect(encoded.refs).toBe(true);
    expect(seen).toEqual([ref, ref]);
    expect(value.list[1]).toBe(ref); // the input is not modified
    const wire = structuredClone(encoded.value) as typeof value;
    expect((wire as unknown as { untouched: unknown }).untouched).toEqual(untouched);
    const decoded = decodeRefs(wire, resolver) as {
      list: unknown[];
      map: Map<string, unknown>;
      set: Set<unknown>;
    };
    expect((decoded.list[1] as ObjectRef).id).toBe('r1');
    expect((decoded.map.get('k') as ObjectRef).id).toBe('r1');
    expect([...decoded.set]).toEqual([{ id: 'a1', name: 'Counter' }]);
  });

  it("put's form: large typed arrays move to shared memory, small ones stay", () => {
    const big = new Float64Array(SHARE_BYTES / 8);
    const small = new Float64Array(4);
    const shared = shareLarge({ big, small, list: [big] }) as {
      big: Float64Array;
      small: Float64Array;
      list: Float64Array[];
    };
    expect(shared.big.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(shared.list[0]!.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(shared.small).toBe(small);
  });
});

describe('options', () => {
  it("defaults as Ray's: 3 retries for system failures, no exception retries, 1 CPU", () => {
    expect(DEFAULT_TASK_OPTIONS).toMatchObject({
      maxRetries: 3,
      retryExceptions: false,
      numReturns: 1,
      numCpus: 1,
    });
    expect(resolveActorOptions({})).toEqual({ maxRestarts: 0, maxConcurrency: 1, numCpus: 0, resources: {} });
  });

  it('rejects bad values naming the option', () => {
    expect(() => resolveTaskOptions(DEFAULT_TASK_OPTIONS, { numReturns: 0 })).toThrow(/numReturns/);
    expect(() => resolveTaskOptions(DEFAULT_TASK_OPTIONS, { retryExceptions: ['x'] as never })).toThrow(
      /retryExceptions/,
    );
    expect(() => resolveTaskOptions(DEFAULT_TASK_OPTIONS, { resources: { gpu: -1 } })).toThrow(
      /resources\.gpu/,
    );
    expect(() => resolveActorOptions({ maxConcurrency: 0 })).toThrow(/maxConcurrency/);
  });

  it('retryExceptions matches classes, or class names from nested tasks, through inheritance', () => {
    class Base extends Error {}
    class Derived extends Base {}
    expect(retriesError([Base], new Derived())).toBe(true);
    expect(retriesError([RangeError], new Derived())).toBe(false);
    expect(retriesError(['Base'], new Derived())).toBe(true);
    expect(retriesError(true, 'thrown string')).toBe(true);
    expect(retriesError(false, new Error())).toBe(false);
  });
});

/** Counts reads of the refs' states from now on (`.n`). */
function countStateReads(refs: readonly ObjectRef[]): { n: number } {
  const reads = { n: 0 };
  for (const r of refs) {
    let state = r.state;
    Object.defineProperty(r, 'state', {
      get: () => {
        reads.n++;
        return state;
      },
      set: (v) => {
        state = v;
      },
    });
  }
  return reads;
}

describe('wait', () => {
  it('returns at once when enough refs are ready, in input order', async () => {
    const refs = Array.from({ length: 5 }, (_, i) => new ObjectRef(`w${i}`));
    refs[3]!.resolve(3);
    refs[1]!.reject(new Error('failed refs are ready too'));
    const { ready, notReady } = await wait(refs, { numReturns: 2 });
    expect(ready).toEqual([refs[1], refs[3]]);
    expect(notReady).toEqual([refs[0], refs[2], refs[4]]);
  });

  it('wakes when a pending ref settles, and leaves no listener behind', async () => {
    const refs = [new ObjectRef('p0'), new ObjectRef('p1')];
    const waiting = wait(refs);
    refs[1]!.resolve('x');
    expect((await waiting).ready).toEqual([refs[1]]);
    const listeners = (refs[0] as unknown as { listeners: unknown[] | null }).listeners;
    expect(listeners ?? []).toEqual([]);
  });

  it('waits on one list again and again without reading every ref (the ready ones are indexed)', async () => {
    const refs = Array.from({ length: 1_000 }, (_, i) => new ObjectRef(`i${i}`));
    refs[900]!.resolve(900);
    await wait(refs, { timeout: 0 });
    await wait(refs, { timeout: 0 }); // the second call with this list indexes it
    const reads = countStateReads(refs.slice(0, 10));
    for (let i = 0; i < 20; i++) {
      const { ready, notReady } = await wait(refs, { timeout: 0 });
      expect(ready).toEqual([refs[900]]);
      expect(notReady.length).toBe(999);
    }
    expect(reads.n).toBe(0);
    // refs that settle later join the index, and come out in input order
    refs[5]!.resolve(5);
    refs[950]!.reject(new Error('failed refs are ready too'));
    const { ready, notReady } = await wait(refs, { numReturns: 3 });
    expect(ready).toEqual([refs[5], refs[900], refs[950]]);
    expect(notReady).toEqual(refs.filter((_, i) => i !== 5 && i !== 900 && i !== 950));
    expect((await wait(refs, { numReturns: 2 })).ready).toEqual([refs[5], refs[900]]);
  });

  it('sees through an indexed list that changed: appended, or a ready ref replaced in place', async () => {
    const refs = Array.from({ length: 10 }, (_, i) => new ObjectRef(`c${i}`));
    refs[2]!.resolve(2);
    await wait(refs);
    await wait(refs);
    refs[2] = new ObjectRef('c2-again');
    const waiting = wait(refs, { timeout: 0 });
    expect((await waiting).ready).toEqual([]);
    refs.push(new ObjectRef('c10'));
    refs[10]!.resolve(10);
    expect((await wait(refs)).ready).toEqual([refs[10]]);
    expect((await wait(refs)).ready).toEqual([refs[10]]);
    refs[3]!.resolve(3);
    expect((await wait(refs, { numReturns: 2 })).ready).toEqual([refs[3], refs[10]]);
  });

  it("Ray's loop (pending = notReady) reads only the ready refs once the list came back", async () => {
    const refs = Array.from({ length: 500 }, (_, i) => new ObjectRef(`l${i}`));
    const reads = countStateReads(refs);
    // results arrive in an order unlike the list's: each call returns the first ready in input order
    const order = [400, 3, 250, 2, 499, 0, 100];
    let pending: ObjectRef[] = refs;
    const seen: ObjectRef[] = [];
    let inWait = 0;
    for (let k = 0; k < order.length; k++) {
      refs[order[k]!]!.resolve(order[k]);
      if (k === 3) refs[7]!.reject(new Error('a failed ref is ready too'));
      const before = reads.n;
      const { ready, notReady } = await wait(pending, { numReturns: 1 });
      // the first two calls read the lists in full, then they are indexed
      if (k >= 2) inWait += reads.n - before;
      expect(ready.length).toBe(1);
      expect(notReady.length).toBe(pending.length - 1);
      expect(notReady).not.toContain(ready[0]);
      seen.push(ready[0]!);
      pending = notReady;
    }
    // a state read per ready ref returned (it is checked), none for the pending ones
    expect(inWait).toBeLessThanOrEqual(order.length - 2);
    expect(seen.map((r) => r.id)).toEqual(['l400', 'l3', 'l250', 'l2', 'l7', 'l0', 'l100']);
    const rest = await wait(pending, { numReturns: 1, timeout: 0 });
    expect(rest.ready.map((r) => r.id)).toEqual(['l499']);
    expect(pending.filter((r) => r.state === 0).length).toBe(pending.length - 1);
  });

  it('an older list of a lineage passed again, or a derived list changed, is read in full', async () => {
    const refs = Array.from({ length: 20 }, (_, i) => new ObjectRef(`o${i}`));
    refs[5]!.resolve(5);
    const first = await wait(refs);
    const second = await wait(first.notReady, { timeout: 0 });
    refs[10]!.resolve(10);
    const third = await wait(second.notReady, { timeout: 0 }); // takes over the lineage
    expect(third.ready.map((r) => r.id)).toEqual(['o10']);
    // the first list again (stale for the index): still right
    expect((await wait(refs, { numReturns: 2 })).ready.map((r) => r.id)).toEqual(['o5', 'o10']);
    // a derived list grown in place: still right
    const grown = third.notReady;
    grown.push(new ObjectRef('o20'));
    grown[grown.length - 1]!.resolve(20);
    refs[1]!.resolve(1);
    expect((await wait(grown, { numReturns: 2 })).ready.map((r) => r.id)).toEqual(['o1', 'o20']);
  });

  it('rejects what Ray rejects', async () => {
    const ref = new ObjectRef('d');
    await expect(wait([ref, ref])).rejects.toThrow(/appears twice/);
    await expect(wait([ref], { numReturns: 2 })).rejects.toThrow(/numReturns/);
    await expect(wait([ref], { numReturns: 0 })).rejects.toThrow(/numReturns/);
    await expect(wait([{} as ObjectRef])).rejects.toThrow(/expected an ObjectRef/);
    expect(await wait([])).toEqual({ ready: [], notReady: [] });
  });
});

describe('outbox', () => {
  it('sends a turn as one batch at its end; an urgent message goes at once unless others wait before it', async () => {
    const sent: unknown[] = [];
    const outbox = new Outbox<string>(
      (batch) => sent.push(batch),
      () => {},
    );
    outbox.post('alone', true);
    expect(sent).toEqual(['alone']);
    outbox.post('a');
    outbox.post('b', true); // 'a' waits: 'b' keeps its place behind it
    outbox.post('c');
    expect(sent).toEqual(['alone']);
    await Promise.resolve();
    expect(sent).toEqual(['alone', ['a', 'b', 'c']]);
  });
});
