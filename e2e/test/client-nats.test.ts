/**
 * The client conformance suite against the NATS engine: connect({ servers }) on a real nats-server
 * with a `parajob worker nats` process. What the engine does not support yet is skipped by the
 * suite with the reason in the test name (engine.supports).
 */
import { connect, NATS_SUPPORTS } from '@parajob/client';
import { describeClientConformance } from '@parajob/client/testing';
import { NatsServer, natsServerAvailable } from '@parajob/nats/testing';
import { describe } from 'vitest';
import { type CliWorker, startCliWorker, stopCliWorker } from '../helpers/nats-workers.js';

describe.runIf(natsServerAvailable())('client on nats', () => {
  let server: NatsServer | undefined;
  let worker: CliWorker | undefined;

  describeClientConformance('nats engine', {
    connect: async () => {
      server = await NatsServer.start();
      worker = await startCliWorker([
        '--servers',
        server.url,
        '--namespace',
        'client',
        '--allow',
        '@parajob/*',
        '--concurrency',
        '2',
      ]);
      return connect({ servers: server.url, namespace: 'client' });
    },
    supports: NATS_SUPPORTS,
    cleanup: async () => {
      if (worker !== undefined) await stopCliWorker(worker);
      await server?.dispose();
    },
  });
});
