import { describeBackendConformance } from '@parajob/core/testing';
import { ThreadsBackend } from '@parajob/threads';

// The suite's timeout test runs a synchronous 30 s busy loop: an in-process task cannot be stopped,
// so that test would only end when the loop does. Timeouts of async tasks are tested in threads.test.ts.
describeBackendConformance('threads', { create: () => new ThreadsBackend(), timeout: false });
