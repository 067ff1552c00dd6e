/**
 * Actors on the NATS engine when their worker process dies (the conformance suite covers a pool
 * thread that exits): with no restarts left, calls fail with ActorDiedError (never a hang); with
 * `maxRestarts`, the actor starts again on another worker (its constructor runs again).
 */
import { ActorDiedError, type Client, connect } from '@parajob/client';
import { Counter } from '@parajob/client/testing/tasks';
import { NatsServer, natsServerAvailable } from '@parajob/nats/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CliWorker, startCliWorker, stopCliWorker } from '../helpers/nats-workers.js';

const ACK_WAIT = 1_500;

describe.runIf(natsServerAvailable())('client actors on nats: a worker process dies', () => {
  let server: NatsServer;
  let client: Client | undefined;
  const workers: CliWorker[] = [];
  const flags = () => [
    ...['--servers', server.url, '--namespace', 'actors', '--allow', '@parajob/*'],
    ...['--concurrency', '1', '--ack-wait', String(ACK_WAIT)],
  ];
  const open = async () => {
    client = await connect({ servers: server.url, namespace: 'actors', ackWaitMs: ACK_WAIT });
    return client;
  };
  const killWorkerOf = async (pid: number) => {
    const victim = workers.find((w) => w.child.pid === pid);
    expect(victim).toBeDefined();
    victim!.child.kill('SIGKILL');
    await victim!.exited;
  };

  beforeAll(async () => {
    server = await NatsServer.start();
    workers.push(...(await Promise.all([1, 2].map(() => startCliWorker(flags())))));
  }, 60_000);

  afterEach(async () => {
    await client?.close();
    client = undefined;
    // a killed worker is replaced, for the next test
    for (let i = 0; i < workers.length; i++) {
      const w = workers[i]!;
      if (w.child.exitCode !== null || w.child.signalCode !== null)
        workers[i] = await startCliWorker(flags());
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.all(workers.map((worker) => stopCliWorker(worker)));
    await server?.dispose();
  });

  it('with no restarts, the pending call and later calls fail with ActorDiedError', async () => {
    const c = await open();
    const counter = await c.actor(Counter, 3);
    const pid = await c.get(counter.pid.remote());
    const pending = counter.slowIncrement.remote(60_000);
    await killWorkerOf(pid);
    await expect(c.get(pending, { timeout: 30_000 })).rejects.toBeInstanceOf(ActorDiedError);
    await expect(c.get(counter.get.remote(), { timeout: 30_000 })).rejects.toBeInstanceOf(ActorDiedError);
  }, 60_000);

  it('with maxRestarts, the actor starts again on another worker (its constructor runs again)', async () => {
    const c = await open();
    const counter = await c.actorWith(Counter, { maxRestarts: 1 }, 3);
    expect(await c.get(counter.increment.remote(1))).toBe(4);
    const pid = await c.get(counter.pid.remote());
    const pending = counter.slowIncrement.remote(60_000);
    await killWorkerOf(pid);
    // at most once: the call that ran on the dead worker is not run again
    await expect(c.get(pending, { timeout: 30_000 })).rejects.toBeInstanceOf(ActorDiedError);
    expect(await c.get(counter.get.remote(), { timeout: 30_000 })).toBe(3);
    expect(await c.get(counter.pid.remote(), { timeout: 30_000 })).not.toBe(pid);
    c.kill(counter);
  }, 60_000);
});
