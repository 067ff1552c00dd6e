/**
 * The client conformance suite against the NATS engine: connect({ servers }) on a real nats-server
 * with two `parajob worker nats` processes of one slot each (nested tasks: a chain deeper than the
 * two slots must complete). What the engine does not support yet is skipped by the suite with the
 * reason in the test name (engine.supports).
 */
import { connect, NATS_SUPPORTS } from '@parajob/client';
import { describeClientConformance } from '@parajob/client/testing';
import { NatsServer, natsServerAvailable } from '@parajob/nats/testing';
import { describe } from 'vitest';
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
