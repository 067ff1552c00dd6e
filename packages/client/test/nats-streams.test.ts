/**
 * Unit tests of streaming generators on the NATS engine without a server: the driver's stream
 * (nats/streams.ts) and the worker's pump (nats/stream-pump.ts) over an in-memory core-NATS
 * channel — order, back-pressure, break running the generator's finally, an error after its
 * items, items through the store, and a second producer after items (the first one's worker died).
 */
import type { CoreChannel } from '@parajob/nats';
import { describe, expect, it } from 'vitest';
import { WorkerCrashedError } from '../src/errors.js';
import { ObjectRefGenerator } from '../src/generator.js';
import { type PumpIo, pump } from '../src/nats/stream-pump.js';
import { encodeMessage, STREAM_BOX } from '../src/nats/stream-wire.js';
import { DriverStream, type StreamIo } from '../src/nats/streams.js';

/** Subjects as a Map of listeners; messages are delivered on a later tick, in order. */
function memoryChannel(maxPayload = 1024 * 1024) {
  const listeners = new Map<string, Set<(data: Uint8Array) => void>>();
  const log: string[] = [];
  const channel: CoreChannel = {
    maxPayload,
    publish: (token, leg, data) => {
      log.push(leg);
      const copy = data.slice();
      setImmediate(() => {
        for (const l of listeners.get(`${token}.${leg}`) ?? []) l(copy);
      });
    },
    subscribe: (token, leg, onMessage) => {
      const key = `${token}.${leg}`;
      const set = listeners.get(key) ?? new Set();
      listeners.set(key, set);
      set.add(onMessage);
      return () => set.delete(onMessage);
    },
    flush: () => new Promise((resolve) => setImmediate(resolve)),
  };
  const store = new Map<string, unknown>();
  const io: StreamIo & PumpIo = {
    channel,
    read: async (name) => store.get(name),
    store: async (value) => {
      const name = `item.${store.size}`;
      store.set(name, structuredClone(value));
      return name;
    },
  };
  return { io, channel, store, log };
}

/** A driver stream and its generator, opened; runs `gen` as the worker would. */
async function stream(io: StreamIo & PumpIo, gen: AsyncGenerator<unknown>, window: number) {
  const consumer = new ObjectRefGenerator<unknown>('t1');
  const driver = new DriverStream('t1', consumer, window);
  consumer.control = { taken: () => driver.took(), close: () => driver.close() };
  const box = await driver.open(io, 'first');
  const produced = pump(gen, box[STREAM_BOX], io).then(
    () => driver.settle({ ok: true }),
    (error) => driver.settle({ ok: false, error }),
  );
  return { consumer, driver, produced };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('NATS engine: streaming generators (driver and pump, in memory)', () => {
  it('gives the items in order, then ends', async () => {
    const { io } = memoryChannel();
    async function* gen() {
      for (let i = 0; i < 40; i++) yield i;
    }
    const { consumer, produced } = await stream(io, gen(), 4);
    const seen: unknown[] = [];
    for await (const v of consumer) seen.push(v);
    await produced;
    expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it('the producer stays at most `window` items ahead of what the consumer took', async () => {
    const { io } = memoryChannel();
    let pulled = 0;
    async function* gen() {
      for (let i = 0; i < 1_000; i++) {
        pulled++;
        yield i;
      }
    }
    const { consumer, produced } = await stream(io, gen(), 3);
    expect((await consumer.next()).value).toBe(0);
    for (let i = 0; i < 10; i++) await tick();
    // taken 1, so 1 + 3 sent, and one more pulled while the last one was sent
    expect(pulled).toBeLessThanOrEqual(5);
    await consumer.return();
    await produced;
  });

  it('break returns the generator on the producer: its finally runs', async () => {
    const { io } = memoryChannel();
    let closed = false;
    async function* gen() {
      try {
        for (let i = 0; i < 1_000_000; i++) yield i;
      } finally {
        closed = true;
      }
    }
    const { consumer, produced } = await stream(io, gen(), 2);
    for await (const v of consumer) if (v === 2) break;
    await produced;
    expect(closed).toBe(true);
  });

  it('an error thrown mid-stream comes after the items before it', async () => {
    const { io } = memoryChannel();
    async function* gen() {
      yield 1;
      yield 2;
      throw new RangeError('boom');
    }
    const { consumer, produced } = await stream(io, gen(), 16);
    const seen: unknown[] = [];
    await expect(
      (async () => {
        for await (const v of consumer) seen.push(v);
      })(),
    ).rejects.toThrow('boom');
    await produced;
    expect(seen).toEqual([1, 2]);
  });

  it('an item too big for a message goes through the store', async () => {
    const { io, store } = memoryChannel(4096);
    async function* gen() {
      yield 'small';
      yield new Uint8Array(10_000).fill(7);
    }
    const { consumer, produced } = await stream(io, gen(), 16);
    const seen: unknown[] = [];
    for await (const v of consumer) seen.push(v);
    await produced;
    expect(seen[0]).toBe('small');
    expect((seen[1] as Uint8Array).byteLength).toBe(10_000);
    expect(store.size).toBe(1);
  });

  it('a second producer after items fails the stream with WorkerCrashedError', async () => {
    const { io, channel } = memoryChannel();
    const consumer = new ObjectRefGenerator<unknown>('t2');
    const driver = new DriverStream('t2', consumer, 16);
    const box = await driver.open(io, null);
    const { token } = box[STREAM_BOX];
    channel.publish(token, 'items', encodeMessage({ k: 'start', p: 'first' }));
    channel.publish(token, 'items', encodeMessage({ k: 'item', p: 'first', n: 0, v: 'a' }));
    // the batch delivered again: another producer starts from the beginning
    channel.publish(token, 'items', encodeMessage({ k: 'start', p: 'second' }));
    channel.publish(token, 'items', encodeMessage({ k: 'item', p: 'second', n: 0, v: 'a' }));
    expect((await consumer.next()).value).toBe('a');
    await expect(consumer.next()).rejects.toBeInstanceOf(WorkerCrashedError);
  });

  it('messages of an unknown producer, or not of the protocol, are ignored', async () => {
    const { io, channel } = memoryChannel();
    const consumer = new ObjectRefGenerator<unknown>('t3');
    const driver = new DriverStream('t3', consumer, 16);
    const { token } = (await driver.open(io, null))[STREAM_BOX];
    channel.publish(token, 'items', encodeMessage({ k: 'start', p: 'mine' }));
    channel.publish(token, 'items', new Uint8Array([1, 2, 3]));
    channel.publish(token, 'items', encodeMessage({ k: 'item', p: 'intruder', n: 0, v: 'forged' }));
    channel.publish(token, 'items', encodeMessage({ k: 'item', p: 'mine', n: 0, v: 'real' }));
    channel.publish(token, 'items', encodeMessage({ k: 'end', p: 'mine', n: 1 }));
    driver.settle({ ok: true });
    const seen: unknown[] = [];
    for await (const v of consumer) seen.push(v);
    expect(seen).toEqual(['real']);
  });
});
