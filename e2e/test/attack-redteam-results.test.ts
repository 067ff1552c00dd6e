/**
 * A task's result nested thousands of levels deep (a long linked list, a degenerate tree) used to
 * take a worker down: a real `parajob worker grpc` process exited (the explanation of the
 * unencodable result overflowed the main thread's stack, outside any handler), and past ~3 200
 * levels a worker-threads pool — local, or the one behind either remote worker — lost the
 * answer silently (the receiving thread could not deserialize it), so the batch never answered
 * and its slot was gone for good. Such a result must fail its task with a SerializationError,
 * and the worker keep serving.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { delayed, Parallel, SerializationError } from '@parajob/core';
import { NatsServer, natsServerAvailable } from '@parajob/nats/testing';
import { WorkerThreadsBackend } from '@parajob/worker-threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AttackTarget,
  makeAttackProject,
  startGrpcTarget,
  startNatsTarget,
  wireBatch,
} from '../helpers/attack.js';

const project = makeAttackProject();
const CORE = pathToFileURL(join(project.root, 'node_modules/@parajob/core/dist/index.js')).href;
writeFileSync(
  join(project.root, 'deep.mjs'),
  `import { task } from ${JSON.stringify(CORE)};\n` +
    'export const deep = task(import.meta.url, function deep(n) { let a = []; for (let i = 0; i < n; i++) a = [a]; return a; });\n',
);
const legit = () => wireBatch([{ name: 'double', module: './tasks.mjs' }], [[1], [2]]);
const deepBatch = (n: number) => wireBatch([{ name: 'deep', module: './deep.mjs' }], [[n]]);
let server: NatsServer | undefined;
const targets: AttackTarget[] = [];

beforeAll(async () => {
  if (natsServerAvailable()) server = await NatsServer.start();
});
afterAll(async () => {
  await Promise.all(targets.map((t) => t.stop()));
  await server?.dispose();
  project.remove();
});

describe.each(['grpc', 'nats'] as const)('%s worker: results nested too deep', (kind) => {
  let target: AttackTarget;
  beforeAll(async () => {
    if (kind === 'nats' && server === undefined) return;
    target =
      kind === 'grpc'
        ? await startGrpcTarget(project)
        : await startNatsTarget(project, server!.url, 'redteam-results');
    targets.push(target);
  });

  it('a value 1 000 levels deep still comes back', async () => {
    if (target === undefined) return;
    const answer = await target.send(deepBatch(1000));
    expect(answer.error).toBeUndefined();
    let depth = 0;
    for (let v = answer.values[0] as unknown[]; v.length > 0; v = v[0] as unknown[]) depth++;
    expect(depth).toBe(1000);
  });

  it.each([3000, 5000, 20000])('a value %i levels deep fails its task; the worker serves on', async (n) => {
    if (target === undefined) return;
    const answer = await target.send(deepBatch(n));
    expect(answer.error?.message).toMatch(/nested more than 1000 levels deep/);
    expect(answer.error?.props).toMatchObject({ phase: 'result' });
    expect(target.alive()).toBe(true);
    expect(await target.send(legit())).toEqual({ values: [2, 4] });
  });
});

it('the local worker-threads pool answers too (no silently lost result)', async () => {
  const { deep } = (await import(pathToFileURL(join(project.root, 'deep.mjs')).href)) as {
    deep: (n: number) => unknown;
  };
  const backend = new WorkerThreadsBackend();
  try {
    const settled = await new Parallel({ backend, nJobs: 2 }).runSettled([
      delayed(deep)(5000),
      delayed(deep)(10),
    ]);
    expect(settled[0]).toMatchObject({ status: 'rejected', reason: expect.any(SerializationError) });
    expect(settled[1]?.status).toBe('fulfilled');
  } finally {
    await backend.terminate();
  }
});
