/**
 * Red-team cases against a real `parajob worker nats`: a message whose large values (or whole
 * body) live in the object store can name a blob that is not there, or one whose bytes are not
 * what the reference says. That is the message's fault, not the server's: the batch must fail at
 * once with a clear error to its driver — not be handed back as a server failure, redelivered
 * and finally reported as a crash — and the worker keeps serving.
 */
import v8 from 'node:v8';
import { Objm } from '@nats-io/obj';
import { NatsServer, natsServerAvailable } from '@parajob/nats/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AttackTarget,
  makeAttackProject,
  pwned,
  type RawNats,
  startNatsTarget,
  wireBatch,
} from '../helpers/attack.js';

const project = makeAttackProject();
const NAMESPACE = 'redteam';
const legit = () => wireBatch([{ name: 'double', module: './tasks.mjs' }], [[1], [2]]);
const withArg = (arg: unknown) =>
  v8.serialize({ wire: wireBatch([{ name: 'double', module: './tasks.mjs' }], [[arg]]), timeout: null });

describe.skipIf(!natsServerAvailable())('NATS worker: blobs a message names', () => {
  let server: NatsServer;
  let target: AttackTarget & { raw: RawNats };
  beforeAll(async () => {
    server = await NatsServer.start();
    target = await startNatsTarget(project, server.url, NAMESPACE);
    const store = await new Objm(target.raw.nc).create(`parajob_${NAMESPACE}_blobs`);
    await store.putBlob({ name: 'odd.0' }, new Uint8Array(3));
    await store.putBlob({ name: 'notv8.0' }, new Uint8Array([1, 2, 3, 4, 5]));
  });
  afterAll(async () => {
    await target?.stop();
    await server?.dispose();
    project.remove();
  });

  it.each([
    ['a body blob that is not there', 'body', new Uint8Array(0), 'is missing from the object store'],
    [
      'a large value that is not there',
      'arg',
      withArg({ __parajobBlob: 'nope.0', type: 'Buffer' }),
      'is missing',
    ],
    [
      'a large value whose bytes do not fit its type',
      'arg',
      withArg({ __parajobBlob: 'odd.0', type: 'Float64Array' }),
      'cannot be read as Float64Array',
    ],
    [
      'a whole value that is not v8 data',
      'arg',
      withArg({ __parajobBlob: 'notv8.0', type: 'value' }),
      'cannot be read as value',
    ],
  ])(
    'answers a message naming %s at once (no redelivery, no "crashed")',
    async (_what, where, body, message) => {
      const call = `redteam-${where}-${Math.random().toString(36).slice(2)}`;
      const headers = target.raw.headersFor(call);
      if (where === 'body') headers['Parajob-Body-Blob'] = `${call}.0.body`;
      const answer = (await target.raw.publish(body, headers, call)) as {
        kind?: string;
        error?: { message: string };
      };
      expect(answer.kind).toBeUndefined();
      expect(answer.error?.message).toContain(message);
      expect(target.stderr()).not.toContain(`batch ${call}.0 goes back to the queue`);
      expect(target.alive()).toBe(true);
      expect(await target.send(legit())).toEqual({ values: [2, 4] });
      expect(pwned(project)).toBe(false);
    },
  );
});
