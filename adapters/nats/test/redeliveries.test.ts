/**
 * Redeliveries (worker-redelivery.ts) against a real nats-server: which deliveries of a batch are
 * attempts, with two workers' judges on their own connections.
 */
import { AckPolicy, type Consumer, type JsMsg, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namesFor } from '../src/names.js';
import { NatsServer, natsServerAvailable } from '../src/testing/nats-server.js';
import { Redeliveries } from '../src/worker-redelivery.js';

const names = namesFor('judge');
const WAIT_MS = 300;

describe.runIf(natsServerAvailable())('which deliveries are attempts', () => {
  let server: NatsServer;
  let ncs: NatsConnection[];
  let consumer: Consumer;
  let holder: Redeliveries;
  let judge: Redeliveries;

  beforeAll(async () => {
    server = await NatsServer.start();
    ncs = await Promise.all([connect({ servers: server.url }), connect({ servers: server.url })]);
    const jsm = await jetstreamManager(ncs[0]!);
    await jsm.streams.add({ name: names.tasksStream, subjects: [names.allTasks], retention: 'workqueue' });
    // an ack wait short enough that a delivery nobody acks comes back within the test
    await jsm.consumers.add(names.tasksStream, {
      durable_name: names.consumer,
      ack_policy: AckPolicy.Explicit,
      ack_wait: 200_000_000,
    });
    consumer = await jetstream(ncs[0]!).consumers.get(names.tasksStream, names.consumer);
    holder = new Redeliveries(ncs[0]!, names, WAIT_MS);
    judge = new Redeliveries(ncs[1]!, names, WAIT_MS);
    holder.watch();
    judge.watch();
  });

  afterAll(async () => {
    holder?.close();
    judge?.close();
    await Promise.all((ncs ?? []).map((nc) => nc.close()));
    await server?.dispose();
  });

  const next = async (): Promise<JsMsg> => {
    const m = await consumer.next({ expires: 5_000 });
    if (m === null) throw new Error('no delivery within 5 s');
    return m;
  };
  const skipsOf = async (batch: string) => {
    const kv = await new Kvm(ncs[0]!).open(names.attempts);
    const entry = await kv.get(`b.${batch}`);
    return entry?.operation === 'PUT' ? entry.json() : null;
  };

  it('the first delivery is attempt 1, asked of nobody', async () => {
    await jetstream(ncs[0]!).publish(names.tasks('s.c'), 'x');
    const m = await next();
    const asks = ncs[0]!.subscribe(names.allHolderAsks);
    expect(await judge.judge(m, 's.c.1')).toEqual({ kind: 'attempt', attempt: 1, recorded: false });
    await ncs[1]!.flush();
    await ncs[0]!.flush();
    expect(asks.getReceived()).toBe(0);
    asks.unsubscribe();
    m.ack();
  });

  it('parks a delivery whose batch a live worker runs, counts the skip, and deducts it when that worker is gone', async () => {
    const batch = 's.c.2';
    await jetstream(ncs[0]!).publish(names.tasks('s.c'), 'y');
    const first = await next();
    const held = holder.hold(batch, false);
    // not acked nor heartbeated: the server delivers it again after the ack wait
    const second = await next();
    expect(second.info.deliveryCount).toBe(2);
    expect(await judge.judge(second, batch)).toEqual({ kind: 'park' });
    expect(await skipsOf(batch)).toEqual({ skipped: 1 });
    second.nak();
    // the worker running it is gone (it no longer answers): delivery 3 is attempt 2, not 3
    holder.close();
    const third = await next();
    expect(third.info.deliveryCount).toBe(3);
    expect(await judge.judge(third, batch)).toEqual({ kind: 'attempt', attempt: 2, recorded: true });
    third.ack();
    first.ack();
    held.release();
    await judge.forget(batch);
    expect(await skipsOf(batch)).toBeNull();
  });

  it('a delivery of a batch this worker itself still runs is parked too', async () => {
    await jetstream(ncs[0]!).publish(names.tasks('s.c'), 'z');
    const first = await next();
    const held = judge.hold('s.c.3', false);
    const second = await next();
    expect(await judge.judge(second, 's.c.3')).toEqual({ kind: 'park' });
    first.ack();
    held.release();
  });
});
