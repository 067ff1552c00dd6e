/**
 * One driver never disturbs another, nor the cluster, against a real nats-server 2.9 and real
 * `parajob worker nats` processes: an abort touches only its own call; a default client does not
 * change the consumer settings the workers set; foreign registry entries are ignored; nJobs: 1
 * runs on a worker slot.
 */
import { readdirSync } from 'node:fs';
import { deserialize } from 'node:v8';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { nanos, connect as natsConnect, headers as natsHeaders, nuid } from '@nats-io/transport-node';
import { delayed, Parallel } from '@parajob/core';
import { NatsBackend } from '@parajob/nats';
import { natsServerAvailable } from '@parajob/nats/testing';
import { describe, expect, it } from 'vitest';
import { markedSquare } from '../fixtures/nats/tasks.mjs';
import { natsTestEnvironment } from '../helpers/nats-env.js';
import { eventually, queueAfterDrain, queuedBatches, workersConsumer } from '../helpers/nats-state.js';

describe.runIf(natsServerAvailable())('nats isolation between drivers and the cluster', () => {
  const env = natsTestEnvironment();
  const worker = env.worker.bind(env);
  const markers = env.markers.bind(env);

  it("one driver's abort leaves another driver's queued batches alone: its call gets every result, the queue ends empty", async () => {
    const ns = 'twodrivers';
    await worker(ns, ['--concurrency', '2']);
    const dir = markers();
    const aborting = new NatsBackend({ servers: env.server.url, namespace: ns });
    const other = new NatsBackend({ servers: env.server.url, namespace: ns });
    const controller = new AbortController();
    const reason = new Error('enough');
    // A queues 30 slow batches; B queues 30 quick ones behind them; A aborts while B's wait
    const a = new Parallel({
      backend: aborting,
      nJobs: 30,
      batchSize: 1,
      preDispatch: 'all',
      signal: controller.signal,
    }).run(Array.from({ length: 30 }, (_, i) => delayed(markedSquare)(i, 400, dir)));
    while (readdirSync(dir).filter((f) => f.endsWith('.start')).length < 2)
      await new Promise((r) => setTimeout(r, 10));
    const inputs = Array.from({ length: 30 }, (_, i) => 100 + i);
    const b = new Parallel({ backend: other, nJobs: 30, batchSize: 1, preDispatch: 'all' }).run(
      inputs.map((x) => delayed(markedSquare)(x, 5, null)),
    );
    // wait until B's batches are queued behind A's, then abort A
    await eventually(
      () => queuedBatches(env.server.url, ns),
      (n) => n >= 50,
      10_000,
    );
    controller.abort(reason);
    await expect(a).rejects.toBe(reason);
    expect(await b).toEqual(inputs.map((x) => x * x));
    // A's batches are gone too (deleted, or dropped by the worker), and nothing else is left
    expect(await queueAfterDrain(env.server.url, ns, 10_000)).toBe(0);
    // A's queued batches never ran: at most the ones running when it aborted, plus a pull in flight
    expect(readdirSync(dir).filter((f) => f.endsWith('.start')).length).toBeLessThan(10);
    await aborting.terminate();
    await other.terminate();
  });

  it("a default driver does not change the consumer settings the workers set; a killed worker's batch is retried after the workers' ack wait", async () => {
    const ns = 'ownership';
    const victim = await worker(ns, ['--concurrency', '1', '--ack-wait', '1500']);
    await worker(ns, ['--concurrency', '1', '--ack-wait', '1500']);
    const before = (await workersConsumer(env.server.url, ns)).config;
    expect(before.ack_wait).toBe(nanos(1_500));
    const dir = markers();
    // default options (30 s ack wait, 3 attempts): they must not reach the consumer
    const backend = new NatsBackend({ servers: env.server.url, namespace: ns });
    const pid = victim.child.pid;
    const call = new Parallel({ backend, nJobs: 2, batchSize: 1 }).run(
      Array.from({ length: 6 }, (_, i) => delayed(markedSquare)(i, 300, dir)),
    );
    const running = () => {
      const files = readdirSync(dir);
      return files.some((f) => f.endsWith(`.${pid}.start`) && !files.includes(f.replace('.start', '.end')));
    };
    while (!running()) await new Promise((r) => setTimeout(r, 5));
    // the driver is connected and publishing: the settings are still the workers'
    expect((await workersConsumer(env.server.url, ns)).config).toMatchObject({
      ack_wait: before.ack_wait,
      max_deliver: before.max_deliver,
    });
    victim.child.kill('SIGKILL');
    expect(await call).toEqual(Array.from({ length: 6 }, (_, i) => i * i));
    const after = await workersConsumer(env.server.url, ns);
    // the killed worker's batch was redelivered (under the workers' 1.5 s ack wait, not 30 s)
    expect(after.config).toMatchObject({ ack_wait: nanos(1_500), max_deliver: before.max_deliver });
    expect(after.delivered.stream_seq).toBe(6);
    expect(after.delivered.consumer_seq).toBeGreaterThan(6);
    // a driver asking explicitly for other settings does not change them either
    const explicit = new NatsBackend({
      servers: env.server.url,
      namespace: ns,
      ackWaitMs: 60_000,
      maxAttempts: 9,
    });
    expect(
      await new Parallel({ backend: explicit, nJobs: 2 }).run([delayed(markedSquare)(3, 1, null)]),
    ).toEqual([9]);
    expect((await workersConsumer(env.server.url, ns)).config).toMatchObject({
      ack_wait: nanos(1_500),
      max_deliver: before.max_deliver,
    });
    await explicit.terminate();
    await backend.terminate();
  });

  it('foreign or corrupt registry entries are ignored by nJobs: -1 and capacity(); with no worker the error says so', async () => {
    const ns = 'registry';
    await worker(ns, ['--concurrency', '2']);
    const nc = await natsConnect({ servers: env.server.url });
    try {
      const kv = await new Kvm(nc).open(`parajob_${ns}_workers`);
      await kv.put('w.garbage', 'not json');
      await kv.put('w.half', JSON.stringify({ capacity: 1.5, pid: 1, host: 'x', version: '1' }));
      await kv.put('w.huge', JSON.stringify({ capacity: 1e12, pid: 1, host: 'x', version: '1' }));
      await kv.put('w.partial', JSON.stringify({ capacity: 4 }));
      const backend = new NatsBackend({ servers: env.server.url, namespace: ns });
      expect(
        await new Parallel({ backend, nJobs: -1 }).run(
          [1, 2, 3].map((x) => delayed(markedSquare)(x, 1, null)),
        ),
      ).toEqual([1, 4, 9]);
      expect(await backend.capacity()).toBe(2);
      expect(backend.effectiveNJobs(-1)).toBe(2);
      await backend.terminate();

      const lonely = 'registry-empty';
      const empty = await new Kvm(nc).create(`parajob_${lonely}_workers`, { ttl: 6_000, history: 1 });
      await empty.put('w.fake', JSON.stringify({ capacity: 3.5 }));
      const none = new NatsBackend({ servers: env.server.url, namespace: lonely, workerWaitMs: 300 });
      await expect(
        new Parallel({ backend: none, nJobs: -1 }).run([delayed(markedSquare)(2, 1, null)]),
      ).rejects.toThrow(
        /no parajob worker is alive .*ignored 1 registry entry .*'w\.fake'.* parajob worker nats --servers/,
      );
      await none.terminate();
    } finally {
      await nc.close();
    }
  });

  it('nJobs: 1 runs on a remote worker slot, never in the caller', async () => {
    const ns = 'onejob';
    const w = await worker(ns, ['--concurrency', '1']);
    const dir = markers();
    const backend = new NatsBackend({ servers: env.server.url, namespace: ns });
    expect(await new Parallel({ backend, nJobs: 1 }).run([delayed(markedSquare)(4, 1, dir)])).toEqual([16]);
    // the marker names the process that ran the task: the worker (its pool threads share its pid)
    expect(readdirSync(dir)).toContain(`4.${w.child.pid}.start`);
    expect(readdirSync(dir)).not.toContain(`4.${process.pid}.start`);
    await backend.terminate();
  });

  it("workers drop a batch whose call its driver's record lists as cancelled, and answer a batch of a driver without a record with 'abandoned'", async () => {
    const ns = 'records';
    await worker(ns, ['--concurrency', '1']);
    const nc = await natsConnect({ servers: env.server.url });
    try {
      const js = jetstream(nc);
      const jsm = await jetstreamManager(nc);
      const drivers = await new Kvm(nc).open(`parajob_${ns}_drivers`);
      const publish = (session: string, token: string) => {
        const h = natsHeaders();
        h.set('Parajob-Batch', `${token}.0`);
        h.set('Parajob-Call', token);
        h.set('Parajob-Reply', `parajob.${ns}.results.${token}`);
        h.set('Parajob-Session', session);
        // not a task body: a worker that tried to run it would fail it, and answer
        return js.publish(`parajob.${ns}.tasks.${token}`, new Uint8Array([1, 2, 3]), { headers: h });
      };
      const alive = nuid.next();
      const cancelled = `${alive}.c1`;
      await drivers.put(`s.${alive}`, JSON.stringify({ cancelled: [cancelled] }));
      await publish(alive, cancelled);
      const gone = nuid.next();
      await publish(gone, `${gone}.c1`);
      expect(await queueAfterDrain(env.server.url, ns, 10_000)).toBe(0);
      const answer = await jsm.streams.getMessage(`PARAJOB_${ns.toUpperCase()}_RESULTS`, {
        last_by_subj: `parajob.${ns}.results.${gone}.c1`,
      });
      expect(deserialize(answer!.data)).toEqual({ kind: 'abandoned' });
      // the cancelled batch was dropped without an answer
      const results = await jsm.streams.info(`PARAJOB_${ns.toUpperCase()}_RESULTS`);
      expect(results.state.messages).toBe(1);
      // and the worker serves the next legitimate call
      const backend = new NatsBackend({ servers: env.server.url, namespace: ns });
      expect(await new Parallel({ backend, nJobs: 1 }).run([delayed(markedSquare)(6, 1, null)])).toEqual([
        36,
      ]);
      await backend.terminate();
    } finally {
      await nc.close();
    }
  });
});
