/**
 * The client conformance suite against the NATS engine: connect({ servers }) on a real nats-server
 * with two `parajob worker nats` processes of one slot each (nested tasks: a chain deeper than the
 * two slots must complete). What the engine does not support yet is skipped by the suite with the
 * reason in the test name (engine.supports).
 */
import { connect, NATS_SUPPORTS } from '@parajob/client';
import { describeClientConformance } from '@parajob/client/testing';
import { nestedSource } from '@parajob/client/testing/tasks';
import { NatsServer, natsServerAvailable } from '@parajob/nats/testing';
import { describe, expect, it } from 'vitest';
import { type CliWorker, startCliWorker, stopCliWorker } from '../helpers/nats-workers.js';

describe.runIf(natsServerAvailable())('client on nats', () => {
  let server: NatsServer | undefined;
  const workers: CliWorker[] = [];

  describeClientConformance('nats engine', {
    connect: async () => {
      server = await NatsServer.start();
      const flags = ['--servers', server.url, '--namespace', 'client', '--allow', '@parajob/*'];
      workers.push(
        ...(await Promise.all([1, 2].map(() => startCliWorker([...flags, '--concurrency', '1'])))),
      );
      return connect({ servers: server.url, namespace: 'client' });
    },
    supports: NATS_SUPPORTS,
    cleanup: async () => {
      await Promise.all(workers.map((worker) => stopCliWorker(worker)));
      await server?.dispose();
    },
  });
});

describe.runIf(natsServerAvailable())('nested tasks on nats workers: the worker policy applies', () => {
  it('a function shipped as source from inside a task is refused by a worker without --allow-source', async () => {
    const server = await NatsServer.start();
    const worker = await startCliWorker([
      ...['--servers', server.url, '--namespace', 'policy', '--allow', '@parajob/*'],
    ]).catch(async (error) => {
      await server.dispose();
      throw error;
    });
    const client = await connect({ servers: server.url, namespace: 'policy' });
    try {
      const error = await client
        .get(client.remote(nestedSource).remote(1), { timeout: 30_000 })
        .catch((e) => e);
      expect(error).toBeInstanceOf(Error);
      expect(error.message).toMatch(/--allow-source/);
    } finally {
      await client.close();
      await stopCliWorker(worker);
      await server.dispose();
    }
  }, 60_000);
});
