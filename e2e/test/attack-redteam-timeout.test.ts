/**
 * A per-task timeout is a number a client sends. One beyond setTimeout's range (2^31-1 ms, about
 * 25 days) used to make every pool thread of a real worker re-arm its timer every millisecond for
 * the whole task, printing a TimeoutOverflowWarning each time: a stderr flood and a busy thread
 * from one message. The task must simply run, on both adapters, and the worker keep serving.
 */
import v8 from 'node:v8';
import { NatsServer, natsServerAvailable } from '@parajob/nats/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AttackTarget,
  decodeGrpcAnswer,
  makeAttackProject,
  RawGrpcSession,
  type RawNats,
  startGrpcTarget,
  startNatsTarget,
  wireBatch,
} from '../helpers/attack.js';

const project = makeAttackProject();
const HUGE_TIMEOUT = 2 ** 40;
const nap = () => wireBatch([{ name: 'nap', module: './tasks.mjs' }], [[300]]);
const legit = () => wireBatch([{ name: 'double', module: './tasks.mjs' }], [[1], [2]]);
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

async function expectQuietAndServing(target: AttackTarget): Promise<void> {
  expect(target.stderr()).not.toContain('TimeoutOverflowWarning');
  expect(target.alive()).toBe(true);
  expect(await target.send(legit())).toEqual({ values: [2, 4] });
}

describe('a per-task timeout beyond setTimeout range', () => {
  it('gRPC worker: the task runs, no timer flood', async () => {
    const target = await startGrpcTarget(project);
    targets.push(target);
    const session = new RawGrpcSession(target.address);
    try {
      const answer = decodeGrpcAnswer(await session.request(v8.serialize(nap()), 1, HUGE_TIMEOUT));
      expect(answer).toEqual({ values: [300] });
    } finally {
      session.close();
    }
    await expectQuietAndServing(target);
  });

  it.skipIf(!natsServerAvailable())('NATS worker: the task runs, no timer flood', async () => {
    const target: AttackTarget & { raw: RawNats } = await startNatsTarget(
      project,
      server!.url,
      'redteam-timeout',
    );
    targets.push(target);
    const call = 'redteam-timeout-call';
    const body = v8.serialize({ wire: nap(), timeout: HUGE_TIMEOUT });
    expect(await target.raw.publish(body, target.raw.headersFor(call), call)).toEqual({ values: [300] });
    await expectQuietAndServing(target);
  });
});
