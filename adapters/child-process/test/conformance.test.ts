import { describeBackendConformance } from '@parajob/core/testing';
import { ChildProcessBackend, shutdownPools } from '../src/index.js';

describeBackendConformance('child-process', {
  create: () => new ChildProcessBackend(),
  cleanup: () => shutdownPools(),
});
