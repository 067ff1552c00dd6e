/**
 * Hostile frames and messages against real worker processes: garbage bytes, another protocol
 * version, payloads v8 rejects or that declare huge lengths, missing or forged headers, batches
 * beyond the granted credit, oversized frames. Each is refused (answered with an error where a
 * driver can be named, else dropped and logged) and the same process serves the next batch.
 */
import v8 from 'node:v8';
import * as grpc from '@grpc/grpc-js';
import { NatsServer, natsServerAvailable } from '@parajob/nats/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AttackTarget,
  decodeGrpcAnswer,
  makeAttackProject,
  pwned,
  RawGrpcSession,
  type RawNats,
  startGrpcTarget,
  startNatsTarget,
  wireBatch,
} from '../helpers/attack.js';

const project = makeAttackProject();
const legit = () => wireBatch([{ name: 'double', module: './tasks.mjs' }], [[1], [2]]);
/** v8 serialization header, then a dense array that claims 4 294 967 295 elements. */
const HUGE_ARRAY = Buffer.from([0xff, 0x0f, 0x41, 0xff, 0xff, 0xff, 0xff, 0x0f]);
/** Bytes that are not v8 serialization data at all. */
const GARBAGE = Buffer.from('GET / HTTP/1.1\r\nHost: worker\r\n\r\n');

async function expectStillServing(target: AttackTarget): Promise<void> {
  expect(target.alive()).toBe(true);
  expect(await target.send(legit())).toEqual({ values: [2, 4] });
  expect(pwned(project)).toBe(false);
}

describe('gRPC worker: hostile frames', () => {
  let target: AttackTarget & { address: string };
  beforeAll(async () => {
    target = await startGrpcTarget(project, ['--max-message-bytes', '65536']);
  });
  afterAll(async () => {
    await target.stop();
  });

  it.each([
    ['garbage bytes', GARBAGE, 'could not be decoded'],
    ['a payload declaring huge lengths', HUGE_ARRAY, 'could not be decoded'],
    ['another wire version', v8.serialize({ ...legit(), v: 2 }), 'wire version 2'],
    ['a batch whose lengths lie', v8.serialize({ ...legit(), size: 5 }), 'bad argument rows'],
    ['a batch of 10^12 tasks', v8.serialize({ ...legit(), size: 1e12 }), 'bad task count'],
    [
      'a function with neither module nor source',
      v8.serialize(wireBatch([{ name: 'x' }], [[]])),
      'must have a module or a source',
    ],
  ])('answers %s with an error', async (_what, payload, message) => {
    const answer = await target.send(payload);
    expect(answer.error?.message).toContain(message);
    await expectStillServing(target);
  });

  it('answers a batch without a payload', async () => {
    const session = new RawGrpcSession(target.address);
    try {
      expect(decodeGrpcAnswer(await session.request(undefined)).error?.message).toMatch(
        /could not be decoded/,
      );
    } finally {
      session.close();
    }
    await expectStillServing(target);
  });

  it('enforces its credit: a batch beyond it is refused, not queued', async () => {
    const session = new RawGrpcSession(target.address);
    try {
      const slow = session.request(
        v8.serialize(wireBatch([{ name: 'nap', module: './tasks.mjs' }], [[500]])),
        1,
      );
      const extra = await session.request(v8.serialize(legit()), 2);
      expect(decodeGrpcAnswer(extra).error?.message).toMatch(/beyond the credit this worker granted/);
      // a duplicate of the running id is refused too, and the running batch is not disturbed
      const duplicate = session.request(v8.serialize(legit()), 1);
      session.write({ cancel: { batchIds: [-1, 12345, Number.MAX_SAFE_INTEGER] } });
      const answers = (await Promise.all([slow, duplicate])).map(decodeGrpcAnswer);
      expect(answers.map((a) => a.error?.message ?? a.values)).toEqual([
        expect.stringMatching(/still running/),
        [500],
      ]);
    } finally {
      session.close();
    }
    await expectStillServing(target);
  });

  it('survives a frame over its message limit (the stream fails, the worker does not)', async () => {
    const session = new RawGrpcSession(target.address);
    const failed = new Promise<grpc.StatusObject>((resolve) =>
      (session as unknown as { stream: grpc.ClientDuplexStream<unknown, unknown> }).stream.on(
        'status',
        resolve,
      ),
    );
    session.write({ batch: { id: 1, payload: Buffer.alloc(512 * 1024), timeoutMs: 0 } });
    expect((await failed).code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    session.close();
    await expectStillServing(target);
  });

  it('refuses a Hello of another protocol version', async () => {
    const { credentials } = grpc;
    const session = new RawGrpcSession(target.address);
    const client = (session as unknown as { client: grpc.Client & { Hello: Function } }).client;
    const status = await new Promise<grpc.ServiceError>((resolve) =>
      client.Hello({ protocol: 99, driverVersion: 'x' }, (error: grpc.ServiceError) => resolve(error)),
    );
    expect(status.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(credentials).toBeDefined();
    session.close();
    await expectStillServing(target);
  });
});

describe.skipIf(!natsServerAvailable())('NATS worker: hostile messages on the work subject', () => {
  let server: NatsServer;
  let target: AttackTarget & { raw: RawNats };
  beforeAll(async () => {
    server = await NatsServer.start();
    target = await startNatsTarget(project, server.url, 'hostile');
  });
  afterAll(async () => {
    await target?.stop();
    await server?.dispose();
  });

  it.each([
    ['no headers at all', null, 'no valid Parajob-Batch header'],
    [
      'a reply subject no stream captures',
      { 'Parajob-Reply': 'somewhere.else' },
      'Parajob-Reply header outside',
    ],
    ['a forged call id', { 'Parajob-Call': 'a b*>' }, 'no valid Parajob-Call header'],
    [
      'a body blob of another batch',
      { 'Parajob-Body-Blob': 'other.body' },
      'Parajob-Body-Blob of another batch',
    ],
  ])('drops a message with %s (terminated, logged, not redelivered)', async (_what, headers, logged) => {
    const call = 'hostile-call';
    const h = headers === null ? null : { ...target.raw.headersFor(call), ...headers };
    target.raw.fire(v8.serialize({ wire: legit(), timeout: null }), h, call);
    // one slot, one queue: once the next batch is answered, the hostile one was handled
    await expectStillServing(target);
    expect(target.stderr()).toContain(logged);
  });

  it.each([
    ['garbage bytes', GARBAGE, 'could not read this batch'],
    ['a body declaring huge lengths', HUGE_ARRAY, 'could not read this batch'],
    ['a body without a batch', v8.serialize({ hello: 1 }), 'no batch in the message'],
    ['another wire version', v8.serialize({ wire: { ...legit(), v: 2 }, timeout: null }), 'wire version 2'],
    ['a timeout that is not a number', v8.serialize({ wire: legit(), timeout: 'soon' }), ''],
  ])('answers a message with %s to its driver', async (_what, body, message) => {
    const call = `hostile-${Math.random().toString(36).slice(2)}`;
    const answer = await target.raw.publish(body, target.raw.headersFor(call), call);
    if (message === '') expect(answer).toEqual({ values: [2, 4] });
    else expect((answer as { error?: { message: string } }).error?.message).toContain(message);
    await expectStillServing(target);
  });

  it('a message declaring absurd attempts is still one ordinary batch', async () => {
    const call = 'hostile-attempts';
    const answer = await target.raw.publish(
      v8.serialize({ wire: legit(), timeout: null }),
      { ...target.raw.headersFor(call), 'Parajob-Attempts': '99999999999' },
      call,
    );
    expect(answer).toEqual({ values: [2, 4] });
    await expectStillServing(target);
  });
});
