import { describeBackendConformance } from '@parajob/core/testing';
import { afterAll, beforeAll, describe } from 'vitest';
import { NatsBackend } from '../src/index.js';
import { NatsServer, natsServerAvailable } from '../src/testing/nats-server.js';
import { spawnWorker, stopWorker, type WorkerProcess } from './workers.js';

const namespace = 'conformance';

describe.runIf(natsServerAvailable())('nats backend against a real nats-server and worker', () => {
  let server: NatsServer;
  let worker: WorkerProcess;

  beforeAll(async () => {
    server = await NatsServer.start();
    // the conformance tasks live in @parajob/core/testing/tasks: allowed by package name
    worker = await spawnWorker({ servers: server.url, namespace, concurrency: 2, allow: ['@parajob/core'] });
  });

  afterAll(async () => {
    await stopWorker(worker);
    await server.dispose();
  });

  describeBackendConformance('nats', {
    create: () => new NatsBackend({ servers: server.url, namespace }),
    nJobs: 2,
    timeout: true,
  });
});
