/**
 * What a NATS fault must not turn into a failure: a batch handed back by workers that stop
 * (SIGTERM) is not a crash (it does not use up the batch's deliveries), a batch still running on
 * a live worker when nats-server is killed (-9) and restarted is not a crash either (the server
 * delivers it again, and that delivery is not an attempt), and a call whose large values travel
 * while the server restarts gets every result, not the client's bare `TimeoutError`. A worker
 * killed mid-batch still is a crash.
 */
import { readdirSync } from 'node:fs';
import { delayed, Parallel, WorkerCrashedError } from '@parajob/core';
import { NatsBackend } from '@parajob/nats';
import { natsServerAvailable } from '@parajob/nats/testing';
import { describe, expect, it } from 'vitest';
import { markedLength, markedSquare } from '../fixtures/nats/tasks.mjs';
import { natsTestEnvironment } from '../helpers/nats-env.js';
import { queueAfterDrain } from '../helpers/nats-state.js';

const ACK_WAIT = 1_500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The `<x>.<pid>.start` markers markedSquare wrote for task x: one per run of it. */
const startsOf = (dir: string, x: number) =>
  readdirSync(dir).filter((f) => f.startsWith(`${x}.`) && f.endsWith('.start'));

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

  it('a batch running on a live worker while nats-server is killed -9 and restarted is not an attempt', async () => {
    const ns = 'restartrun';
    const dir = env.markers();
    const workers = [await worker(ns), await worker(ns)];
    // maxAttempts 1: a delivery after the restart counted as an attempt fails the call (MAX_DELIVERIES)
    const backend = new NatsBackend({
      servers: env.server.url,
      namespace: ns,
      ackWaitMs: ACK_WAIT,
      maxAttempts: 1,
    });
    const call = new Parallel({ backend, nJobs: 1 })
      .run([delayed(markedSquare)(3, 8_000, dir)])
      .catch((e: unknown) => e);
    while (startsOf(dir, 3).length === 0) await sleep(10);
    const pid = Number(startsOf(dir, 3)[0]!.split('.')[1]);
    const running = workers.find((w) => w.child.pid === pid)!;
    // twice: the worker running the batch is paused across the restart (like a worker that
    // reconnects late), so its heartbeats do not reach the restarted server before it checks the
    // batch, and the server delivers it again to the other worker while its first run goes on
    for (let round = 0; round < 2; round++) {
      running.child.kill('SIGSTOP');
      try {
        await env.server.kill();
        await sleep(ACK_WAIT);
        await env.server.launch();
        await sleep(ACK_WAIT + 1_000);
      } finally {
        running.child.kill('SIGCONT');
      }
      await sleep(1_000);
    }
    expect(await call).toEqual([9]);
    // run once: the other delivery waited for the live worker's run instead of running it again
    expect(startsOf(dir, 3)).toHaveLength(1);
    await backend.terminate();
    expect(await queueAfterDrain(env.server.url, ns, 10_000)).toBe(0);
  });

  it('a worker killed -9 mid-batch is still an attempt: WorkerCrashedError after maxAttempts', async () => {
    const ns = 'crashcount';
    const dir = env.markers();
    const workers = [await worker(ns), await worker(ns)];
    const backend = new NatsBackend({
      servers: env.server.url,
      namespace: ns,
      ackWaitMs: ACK_WAIT,
      maxAttempts: 1,
    });
    const call = new Parallel({ backend, nJobs: 1 })
      .run([delayed(markedSquare)(4, 60_000, dir)])
      .catch((e: unknown) => e);
    while (startsOf(dir, 4).length === 0) await sleep(10);
    const pid = Number(startsOf(dir, 4)[0]!.split('.')[1]);
    const running = workers.find((w) => w.child.pid === pid)!;
    running.child.kill('SIGKILL');
    const error = await call;
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect(error).toMatchObject({ exitReason: 'MAX_DELIVERIES', taskIndex: 0 });
    // the other worker did not run it again: its one attempt was used up by the crash
    expect(startsOf(dir, 4)).toHaveLength(1);
    await backend.terminate();
    expect(await queueAfterDrain(env.server.url, ns, 10_000)).toBe(0);
  });
});
