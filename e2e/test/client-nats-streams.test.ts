/**
 * Streaming generators on the NATS engine, beyond the conformance suite (which checks items, break
 * and back-pressure on NATS too): an error thrown mid-stream reaches the caller after the items
 * before it, with its class; items bigger than a message go through the object store; a worker
 * killed mid-stream fails the stream with WorkerCrashedError (never a hang, never repeated items).
 */
import { connect, WorkerCrashedError } from '@parajob/client';
import { bigItems, CustomError, failAfter, pidStream } from '@parajob/client/testing/tasks';
import { NatsServer, natsServerAvailable } from '@parajob/nats/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliWorker, startCliWorker, stopCliWorker } from '../helpers/nats-workers.js';

const ACK_WAIT = 1_500;

describe.runIf(natsServerAvailable())('client streaming generators on nats', () => {
  let server: NatsServer;
  const workers: CliWorker[] = [];
  const flags = () => [
    ...['--servers', server.url, '--namespace', 'streams', '--allow', '@parajob/*'],
    ...['--concurrency', '1', '--ack-wait', String(ACK_WAIT)],
  ];
  const open = () => connect({ servers: server.url, namespace: 'streams', ackWaitMs: ACK_WAIT });

  beforeAll(async () => {
    server = await NatsServer.start();
    workers.push(...(await Promise.all([1, 2].map(() => startCliWorker(flags())))));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(workers.map((worker) => stopCliWorker(worker)));
    await server?.dispose();
  });

  it('an error thrown mid-stream reaches the caller after the items before it, with its class', async () => {
    const client = await open();
    try {
      const seen: number[] = [];
      let caught: unknown;
      try {
        for await (const value of client.remote(failAfter).remote(3)) seen.push(value);
      } catch (error) {
        caught = error;
      }
      expect(seen).toEqual([0, 1, 2]);
      expect(caught).toBeInstanceOf(CustomError);
      expect((caught as CustomError).code).toBe('mid-stream');
    } finally {
      await client.close();
    }
  }, 60_000);

  it('items bigger than a message travel through the object store, in order', async () => {
    const client = await open();
    try {
      const sizes: number[] = [];
      const fills: number[] = [];
      // 3 MiB each: over nats-server's default max payload of 1 MiB
      for await (const item of client.remote(bigItems).remote(3, 3 * 1024 * 1024)) {
        sizes.push(item.byteLength);
        fills.push(item[0]!, item[item.byteLength - 1]!);
      }
      expect(sizes).toEqual([3, 3, 3].map((n) => n * 1024 * 1024));
      expect(fills).toEqual([0, 0, 1, 1, 2, 2]);
    } finally {
      await client.close();
    }
  }, 60_000);

  it('a worker killed mid-stream fails the stream with WorkerCrashedError', async () => {
    const client = await open();
    try {
      const stream = client.remote(pidStream).remote(100_000, 50);
      const first = await stream.next();
      const victim = workers.find((w) => w.child.pid === first.value);
      expect(victim).toBeDefined();
      victim!.child.kill('SIGKILL');
      await victim!.exited;
      let caught: unknown;
      // bounded: the stream fails within a redelivery (ack wait) or the loop ends
      for (let i = 0; i < 100_000; i++) {
        try {
          const step = await stream.next();
          if (step.done) break;
          expect(step.value).toBe(first.value);
        } catch (error) {
          caught = error;
          break;
        }
      }
      expect(caught).toBeInstanceOf(WorkerCrashedError);
    } finally {
      await client.close();
      // the killed worker is replaced, for tests that run after this one
      const dead = workers.findIndex((w) => w.child.exitCode !== null || w.child.signalCode !== null);
      if (dead >= 0) workers.splice(dead, 1, await startCliWorker(flags()));
    }
  }, 90_000);
});
