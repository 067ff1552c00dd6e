// The built package, as adapters and users get it: the suite's task module is the dist file.
import { SequentialBackend } from '@parajob/core/backend';
import { describeBackendConformance } from '@parajob/core/testing';

describeBackendConformance('sequential', { create: () => new SequentialBackend() });
