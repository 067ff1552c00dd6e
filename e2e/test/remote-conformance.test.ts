/**
 * One remote worker layer: the same task module through a gRPC worker and a NATS worker, driven
 * by their real backends, gives the same answers under the same wire names; and the same names,
 * sent raw, are accepted or refused identically by both.
 */
import { pathToFileURL } from 'node:url';
import { delayed, Parallel } from '@parajob/core';
import { square } from '@parajob/core/testing/tasks';
import { GrpcBackend } from '@parajob/grpc';
import { NatsBackend } from '@parajob/nats';
import { NatsServer, natsServerAvailable } from '@parajob/nats/testing';
import { ModuleNamer } from '@parajob/remote';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AttackTarget,
  makeAttackProject,
  startGrpcTarget,
  startNatsTarget,
  wireBatch,
} from '../helpers/attack.js';

const project = makeAttackProject();
const TASKS = pathToFileURL(`${project.root}/tasks.mjs`).href;
const ALLOW = ['--allow', '.', '--allow', '@parajob/core'];

describe.skipIf(!natsServerAvailable())('grpc and nats workers agree', () => {
  let server: NatsServer;
  let grpcWorker: AttackTarget & { address: string };
  let natsWorker: AttackTarget;
  let backends: Record<'grpc' | 'nats', GrpcBackend | NatsBackend>;

  beforeAll(async () => {
    server = await NatsServer.start();
    grpcWorker = await startGrpcTarget(project, ALLOW);
    natsWorker = await startNatsTarget(project, server.url, 'conformance', ALLOW);
    backends = {
      grpc: new GrpcBackend({ workers: [grpcWorker.address] }),
      nats: new NatsBackend({ servers: server.url, namespace: 'conformance' }),
    };
  });
  afterAll(async () => {
    await Promise.all(Object.values(backends ?? {}).map((b) => b.terminate()));
    await grpcWorker?.stop();
    await natsWorker?.stop();
    await server?.dispose();
    project.remove();
  });

  it('every driver names a task module the same way', () => {
    const namer = new ModuleNamer(undefined);
    expect(namer.name(TASKS)).toBe('attack-app/tasks.mjs');
    expect(namer.name(import.meta.resolve('@parajob/core/testing/tasks'))).toBe(
      '@parajob/core/testing/tasks',
    );
  });

  it('runs the same module through both workers with the same results and errors', async () => {
    const { double, failAt } = (await import(TASKS)) as {
      double: (x: number) => number;
      failAt: (x: number, at: number) => number;
    };
    const answers: Record<string, unknown> = {};
    for (const [kind, backend] of Object.entries(backends)) {
      const p = new Parallel({ backend, nJobs: 2 });
      const values = await p.run([
        ...[1, 2, 3].map((x) => delayed(double)(x)),
        ...[4, 5].map((x) => delayed(square)(x)),
      ]);
      const settled = await p.runSettled([1, 2, 3].map((x) => delayed(failAt)(x, 2)));
      answers[kind] = {
        values,
        settled: settled.map((s) =>
          s.status === 'fulfilled' ? s.value : `${s.reason.name}: ${s.reason.message}`,
        ),
      };
    }
    expect(answers.grpc).toEqual({ values: [2, 4, 6, 16, 25], settled: [1, 'TypeError: bad 2', 3] });
    expect(answers.nats).toEqual(answers.grpc);
  });

  it.each([
    './tasks.mjs',
    'attack-app/tasks.mjs',
    '@parajob/core/testing/tasks',
    './node_modules/evil/index.js',
    'evil',
    '@parajob/core/dist/testing/tasks.js',
    'node:child_process',
    '/etc/passwd',
  ])('answers the name %s identically', async (module) => {
    const name = module.includes('tasks') ? 'double' : 'execSync';
    const batch = wireBatch([{ name, module }], [[21]]);
    const fromGrpc = await grpcWorker.send(batch);
    const fromNats = await natsWorker.send(batch);
    expect(fromNats).toEqual(fromGrpc);
  });
});
