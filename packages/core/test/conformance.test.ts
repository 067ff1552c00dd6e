import { SequentialBackend } from '../src/index.js';
import { describeBackendConformance } from '../src/testing/index.js';

describeBackendConformance('sequential', { create: () => new SequentialBackend() });
