/**
 * Resources on the NATS engine: `parajob worker nats --resources gpu=1` declares them (CPU is its
 * --concurrency); a task with .options({ resources, numCpus }) runs only on a worker declaring
 * them, and one that no registered worker could run fails at once naming the resource.
 */
import { connect } from '@parajob/client';
import { whereAmI } from '@parajob/core/testing/tasks';
import { NatsServer, natsServerAvailable } from '@parajob/nats/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliWorker, startCliWorker, stopCliWorker } from '../helpers/nats-workers.js';

describe.runIf(natsServerAvailable())('client on nats: resources', () => {
  let server: NatsServer;
  let gpu: CliWorker;
  let plain: CliWorker;
  let client: Awaited<ReturnType<typeof connect>>;

  beforeAll(async () => {
    server = await NatsServer.start();
    const flags = [
      '--servers',
      server.url,
      '--namespace',
      'res',
      '--allow',
      '@parajob/*',
      '--concurrency',
      '1',
    ];
    [gpu, plain] = await Promise.all([
      startCliWorker([...flags, '--resources', 'gpu=1,mem=4']),
      startCliWorker(flags),
    ]);
    client = await connect({ servers: server.url, namespace: 'res' });
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await Promise.all([gpu, plain].filter(Boolean).map((w) => stopCliWorker(w)));
    await server?.dispose();
  });

  it('clusterResources() sums what the workers declare', () => {
    expect(client.clusterResources()).toEqual({ CPU: 2, gpu: 1, mem: 4 });
  });

  it('tasks needing a resource run only on the worker declaring it', async () => {
    const refs = Array.from({ length: 8 }, () =>
      client
        .remote(whereAmI)
        .options({ resources: { gpu: 1 } })
        .remote(),
    );
    const pids = new Set((await client.get(refs, { timeout: 30_000 })).map((w) => Number(w.split(':')[0])));
    expect(pids).toEqual(new Set([gpu.child.pid]));
    // tasks without needs still run anywhere (both workers serve the shared queue)
    expect(await client.get(client.remote(whereAmI).remote(), { timeout: 30_000 })).toMatch(/^\d+:/);
  }, 60_000);

  it('a need no registered worker has fails at once, naming the resource', async () => {
    const more = client
      .remote(whereAmI)
      .options({ resources: { gpu: 2 } })
      .remote();
    await expect(client.get(more, { timeout: 30_000 })).rejects.toThrow(
      /needs gpu: 2, the registered workers declare/,
    );
    const cpus = client.remote(whereAmI).options({ numCpus: 2 }).remote();
    await expect(client.get(cpus, { timeout: 30_000 })).rejects.toThrow(/needs CPU: 2/);
    const fraction = client
      .remote(whereAmI)
      .options({ resources: { gpu: 0.5 } })
      .remote();
    await expect(client.get(fraction)).rejects.toThrow(
      /resources.gpu is 0.5; on the nats engine amounts are whole numbers/,
    );
  }, 60_000);
});
