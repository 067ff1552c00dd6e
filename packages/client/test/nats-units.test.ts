/**
 * Unit tests of the NATS engine's pieces that need no server: refs inside arguments (owner stores,
 * receiver reads on demand) and resources (needs, the check against what workers declare), on an
 * in-memory stand-in for @parajob/nats's Cluster.
 */
import type { Cluster } from '@parajob/nats';
import { describe, expect, it } from 'vitest';
import { isEnvelope, NatsObjects } from '../src/nats/objects.js';
import { needsOf, Placement } from '../src/nats/placement.js';
import { ObjectRef, RefState } from '../src/object-ref.js';
import { DEFAULT_TASK_OPTIONS, resolveTaskOptions } from '../src/options.js';

/** The object store as a Map, and the registry as a list of what workers declare. */
function fakeCluster(workers: Record<string, number>[] = []) {
  const store = new Map<string, unknown>();
  let names = 0;
  const cluster = {
    valueName: async () => `session.put.${names++}`,
    storeAs: async (name: string, value: unknown) => {
      store.set(name, structuredClone(value));
    },
    readStored: async (name: string) => (store.has(name) ? { value: store.get(name) } : 'missing'),
    workerResources: async () => workers,
  };
  return { store, cluster: async () => cluster as unknown as Cluster };
}

/** Asks for the ref's value and waits (bounded) until it settles (an ObjectRef is a thenable: not returned). */
const settle = async (ref: ObjectRef): Promise<void> => {
  ref.demand();
  for (let i = 0; i < 200 && ref.state === RefState.Pending; i++) await new Promise((r) => setTimeout(r, 5));
};

describe('NATS engine: refs inside arguments', () => {
  it('an argument without refs is sent as it is', async () => {
    const { cluster } = fakeCluster();
    expect(await new NatsObjects(cluster).encodeArg({ a: [1, 2] })).toBeUndefined();
  });

  it('a pending ref travels at once; its owner stores the value when it settles; the receiver reads it', async () => {
    const { cluster, store } = fakeCluster();
    const owner = new NatsObjects(cluster);
    const pending = new ObjectRef<number>('task.1');
    const sent = await owner.encodeArg({ nested: [pending] });
    expect(isEnvelope(sent)).toBe(true);
    expect(store.size).toBe(0);
    // the argument crosses the wire (a structured clone), and the other side rebuilds the ref
    const receiver = new NatsObjects(cluster);
    const arg = receiver.decodeArg(structuredClone(sent!)) as { nested: ObjectRef[] };
    const received = arg.nested[0]!;
    expect(received).toBeInstanceOf(ObjectRef);
    expect(received.id).toBe('task.1');
    received.demand();
    await new Promise((r) => setTimeout(r, 20));
    expect(received.state).toBe(RefState.Pending);
    pending.resolve(42);
    await settle(received);
    expect(received.value).toBe(42);
  });

  it('a failed ref reaches the receiver as its error', async () => {
    const { cluster } = fakeCluster();
    const failed = new ObjectRef('task.2');
    failed.reject(Object.assign(new Error('upstream'), { code: 'E_UP' }));
    const sent = await new NatsObjects(cluster).encodeArg([failed]);
    const [received] = new NatsObjects(cluster).decodeArg(structuredClone(sent!)) as ObjectRef[];
    await settle(received!);
    const error = received!.error as Error & { code?: string };
    expect(error.message).toBe('upstream');
    expect(error.code).toBe('E_UP');
  });

  it('a put() value is read as stored; a received ref passes on with the same location', async () => {
    const { cluster, store } = fakeCluster();
    const owner = new NatsObjects(cluster);
    const put = new ObjectRef('put.1');
    owner.notePut(put, Promise.resolve('session.put.x'));
    store.set('session.put.x', { big: true });
    expect(await owner.putName(put)).toBe('session.put.x');
    const middle = new NatsObjects(cluster);
    const [received] = middle.decodeArg(structuredClone((await owner.encodeArg([put]))!)) as ObjectRef[];
    expect(await middle.putName(received!)).toBe('session.put.x');
    await settle(received!);
    expect(received!.value).toEqual({ big: true });
  });
});

describe('NATS engine: resources', () => {
  const options = (more: object) => resolveTaskOptions(DEFAULT_TASK_OPTIONS, more);

  it('default options have no needs (the shared queue); others are CPU and custom resources', () => {
    expect(needsOf(DEFAULT_TASK_OPTIONS)).toBeUndefined();
    expect(needsOf(options({ resources: { gpu: 1 } }))).toEqual({ gpu: 1, CPU: 1 });
    expect(needsOf(options({ numCpus: 2 }))).toEqual({ CPU: 2 });
    expect(() => needsOf(options({ resources: { gpu: 0.5 } }))).toThrow(/resources.gpu is 0.5/);
  });

  it('a need no worker declares fails naming only what is missing; one a worker has passes', async () => {
    const { cluster } = fakeCluster([{ CPU: 2, gpu: 1 }, { CPU: 1 }]);
    const placement = new Placement(cluster);
    await placement.check({ CPU: 1, gpu: 1 });
    expect(placement.totals).toEqual({ CPU: 3, gpu: 1 });
    await expect(placement.check({ CPU: 1, gpu: 2 })).rejects.toThrow(
      /it needs gpu: 2, the registered workers declare \{ CPU: 2, gpu: 1 \}, \{ CPU: 1 \}/,
    );
  });
});
