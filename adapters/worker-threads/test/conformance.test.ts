import { describeBackendConformance } from '@parajob/core/testing';
import { shutdownWorkerThreadsPools, WorkerThreadsBackend } from '@parajob/worker-threads';

describeBackendConformance('worker-threads', {
  create: () => new WorkerThreadsBackend(),
  cleanup: shutdownWorkerThreadsPools,
});
