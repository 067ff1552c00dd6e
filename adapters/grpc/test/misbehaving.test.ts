/**
 * The driver against workers that break the protocol: an answer to a batch it never sent, a
 * short result. The call fails with a clear error naming the worker — it never hangs. And
 * nJobs: 1 runs on a worker slot, not in the caller.
 */
import v8 from 'node:v8';
import * as grpc from '@grpc/grpc-js';
import { delayed, Parallel } from '@parajob/core';
import { afterAll, describe, expect, it } from 'vitest';
import { GrpcBackend } from '../src/index.js';
import {
  type DriverMessage,
  type HelloReply,
  PACKAGE_VERSION,
  PROTOCOL_VERSION,
  type WorkerMessage,
  workerService,
} from '../src/proto.js';
import { double, pid } from './fixtures/tasks.mjs';
import { startWorkerProcess, stopAllWorkers } from './helpers.js';

type Answer = (id: number) => WorkerMessage;

/**
 * A fake worker with one slot that answers each batch with `answer(id)`, then grants the slot
 * again — or, with `refuse`, ends every session as it opens with that status.
 */
async function fakeWorker(answer: Answer, refuse?: grpc.status): Promise<{ address: string; stop(): void }> {
  const server = new grpc.Server();
  server.addService(workerService().service, {
    Hello: (_call: unknown, callback: grpc.sendUnaryData<HelloReply>) =>
      callback(null, {
        protocol: PROTOCOL_VERSION,
        version: PACKAGE_VERSION,
        capacity: 1,
        allowedModules: ['.'],
        allowSource: false,
        maxMessageBytes: 1 << 20,
        workerId: 'fake',
      }),
    Session: (call: grpc.ServerDuplexStream<DriverMessage, WorkerMessage>) => {
      call.on('error', () => {});
      if (refuse !== undefined) {
        call.emit('error', { code: refuse, details: 'no more sessions here' });
        return;
      }
      call.write({ credit: { slots: 1 } });
      call.on('data', (m: DriverMessage) => {
        if (!m.batch) return;
        call.write(answer(Number(m.batch.id)));
        call.write({ credit: { slots: 1 } });
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  return { address: `127.0.0.1:${port}`, stop: () => server.forceShutdown() };
}

const fakes: Array<{ stop(): void }> = [];
afterAll(async () => {
  for (const f of fakes) f.stop();
  await stopAllWorkers();
});

const run = async (answer: Answer, refuse?: grpc.status) => {
  const fake = await fakeWorker(answer, refuse);
  fakes.push(fake);
  const backend = new GrpcBackend({ workers: [fake.address] });
  try {
    return await new Parallel({ nJobs: 1, batchSize: 2, backend }).run([1, 2].map((x) => delayed(double)(x)));
  } finally {
    await backend.terminate();
  }
};

describe('a misbehaving worker', () => {
  it('answering a batch id it was never sent fails the call, naming the worker', async () => {
    await expect(
      run((id) => ({ result: { id: id + 1000, payload: v8.serialize({ values: [2, 4] }) } })),
    ).rejects.toThrow(/answered batch \d+, which this driver never sent it/);
  });

  it('a short result fails the call with a clear error', async () => {
    await expect(run((id) => ({ result: { id, payload: v8.serialize({ values: [2] }) } }))).rejects.toThrow(
      /sent a result this driver cannot use \(1 values for 2 tasks\)/,
    );
  });

  it('refusing every session as it opens with RESOURCE_EXHAUSTED fails the call (no reopen loop)', async () => {
    await expect(
      run(
        (id) => ({ result: { id, payload: v8.serialize({ values: [2, 4] }) } }),
        grpc.status.RESOURCE_EXHAUSTED,
      ),
    ).rejects.toThrow(/no more sessions here/);
  });

  it('bytes that are not a result fail the call too', async () => {
    await expect(run((id) => ({ result: { id, payload: Buffer.from('nonsense') } }))).rejects.toThrow();
  });
});

describe('nJobs: 1 on a remote backend', () => {
  it('runs on one worker slot, not in the caller', async () => {
    const worker = await startWorkerProcess({ concurrency: 1 });
    const backend = new GrpcBackend({ workers: [worker.address] });
    try {
      const [where] = await new Parallel({ nJobs: 1, backend }).run([delayed(pid)()]);
      expect(where).toBe(worker.child.pid);
      expect(await backend.capacity()).toBe(1);
    } finally {
      await backend.terminate();
    }
  });
});
