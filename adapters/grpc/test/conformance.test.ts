import { describeBackendConformance } from '@parajob/core/testing';
import { GrpcBackend } from '../src/index.js';
import { startWorkerProcess, stopAllWorkers } from './helpers.js';

// two real worker processes, started before the suite is collected (it builds a backend to read
// supportsTimeout); the suite's task module is a package module: @parajob/core/testing/tasks
const workers = await Promise.all(
  [1, 2].map(() => startWorkerProcess({ concurrency: 1, allow: ['@parajob/core'] })),
);

describeBackendConformance('grpc', {
  create: () => new GrpcBackend({ workers: workers.map((w) => w.address) }),
  cleanup: stopAllWorkers,
});
