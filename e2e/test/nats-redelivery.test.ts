/**
 * What a NATS fault must not turn into a failure: a batch handed back by workers that stop
 * (SIGTERM) is not a crash (it does not use up the batch's deliveries), and a call whose large
 * values travel while nats-server is killed (-9) and restarted on the same port and store gets
 * every result, not the client's bare `TimeoutError`.
 */
import { readdirSync } from 'node:fs';
import { delayed, Parallel } from '@parajob/core';
import { NatsBackend } from '@parajob/nats';
import { natsServerAvailable } from '@parajob/nats/testing';
import { describe, expect, it } from 'vitest';
import { markedLength, markedSquare } from '../fixtures/nats/tasks.mjs';
import { natsTestEnvironment } from '../helpers/nats-env.js';
import { queueAfterDrain } from '../helpers/nats-state.js';

const ACK_WAIT = 1_500;

describe.runIf(natsServerAvailable())('nats redelivery accounting and server outages', () => {
  const env = natsTestEnvironment();
  const worker = (namespace: string, extra: string[] = []) =>
    env.worker(namespace, ['--concurrency', '1', '--ack-wait', String(ACK_WAIT), ...extra]);

  it('a batch handed back by stopping workers is sent again, not counted as a crash', async () => {
    const ns = 'handback';
    const dir = env.markers();
    // maxAttempts 1: one delivery counted as a crash would fail the call with MAX_DELIVERIES
    const backend = new NatsBackend({
      servers: env.server.url,
      namespace: ns,
      ackWaitMs: ACK_WAIT,
      maxAttempts: 1,
    });
    let stopping = await worker(ns, ['--shutdown-grace', '100']);
    const call = new Parallel({ backend, nJobs: 1 }).run([delayed(markedSquare)(3, 2_000, dir)]);
    // twice: SIGTERM the worker running the task; its grace runs out and it hands the batch back
    for (let round = 0; round < 2; round++) {
      const pid = stopping.child.pid;
      while (!readdirSync(dir).includes(`3.${pid}.start`)) await new Promise((r) => setTimeout(r, 10));
      stopping.child.kill('SIGTERM');
      expect((await stopping.exited).code).toBe(0);
      stopping = await worker(ns, round === 0 ? ['--shutdown-grace', '100'] : []);
    }
    expect(await call).toEqual([9]);
    await backend.terminate();
    expect(await queueAfterDrain(env.server.url, ns, 10_000)).toBe(0);
  });

  it('rides out nats-server killed -9 and restarted while large values travel', async () => {
    const ns = 'outage';
    await worker(ns);
    await worker(ns);
    const backend = new NatsBackend({ servers: env.server.url, namespace: ns, ackWaitMs: ACK_WAIT });
    // connected first, so the outage hits uploads, publishes and result reads, not the connect
    await new Parallel({ backend, nJobs: 2 }).run([delayed(markedSquare)(1, 0, null)]);
    const values = new Float64Array(100_000).fill(1);
    await env.server.kill();
    const call = new Parallel({ backend, nJobs: 2, batchSize: 1, maxNbytes: '10k' }).run(
      Array.from({ length: 6 }, (_, i) => delayed(markedLength)(i, 200, null, values)),
    );
    await new Promise((r) => setTimeout(r, 1_000));
    await env.server.launch();
    expect(await call).toEqual(Array.from({ length: 6 }, (_, i) => i * i + values.length));
    await backend.terminate();
  });
});
