/** ensureQueues (resources.ts) against a real nats-server: the shared consumer's max deliveries. */
import { AckPolicy, jetstreamManager, RetentionPolicy } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namesFor } from '../src/names.js';
import { ensureQueues, UNCOUNTED_DELIVERIES } from '../src/resources.js';
import { NatsServer, natsServerAvailable } from '../src/testing/nats-server.js';

describe.runIf(natsServerAvailable())("the shared consumer's max deliveries", () => {
  let server: NatsServer;
  let nc: NatsConnection;

  beforeAll(async () => {
    server = await NatsServer.start();
    nc = await connect({ servers: server.url });
  });

  afterAll(async () => {
    await nc?.close();
    await server?.dispose();
  });

  const maxDeliver = async (ns: string) =>
    (await (await jetstreamManager(nc)).consumers.info(namesFor(ns).tasksStream, 'workers')).config
      .max_deliver;

  it('leaves room for deliveries that are not attempts: maxAttempts + 1 + UNCOUNTED_DELIVERIES', async () => {
    const jsm = await jetstreamManager(nc);
    await ensureQueues(jsm, namesFor('fresh'), { maxAttempts: 2 }, 'driver');
    expect(await maxDeliver('fresh')).toBe(2 + 1 + UNCOUNTED_DELIVERIES);
    // a default worker after it changes nothing
    await ensureQueues(jsm, namesFor('fresh'), {}, 'worker');
    expect(await maxDeliver('fresh')).toBe(2 + 1 + UNCOUNTED_DELIVERIES);
  });

  it("a worker gives an older version's consumer (maxAttempts + 1) that room, once; a driver does not", async () => {
    const jsm = await jetstreamManager(nc);
    const names = namesFor('dated');
    await jsm.streams.add({
      name: names.tasksStream,
      subjects: [names.allTasks],
      retention: RetentionPolicy.Workqueue,
    });
    await jsm.consumers.add(names.tasksStream, {
      durable_name: names.consumer,
      ack_policy: AckPolicy.Explicit,
      max_deliver: 4,
    });
    await ensureQueues(jsm, names, {}, 'driver');
    expect(await maxDeliver('dated')).toBe(4);
    await ensureQueues(jsm, names, {}, 'worker');
    expect(await maxDeliver('dated')).toBe(4 + UNCOUNTED_DELIVERIES);
    await ensureQueues(jsm, names, {}, 'worker');
    expect(await maxDeliver('dated')).toBe(4 + UNCOUNTED_DELIVERIES);
  });
});
