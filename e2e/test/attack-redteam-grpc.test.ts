/**
 * Red-team cases against a real `parajob worker grpc`. A client that keeps sending batches beyond
 * its credit gets each refused with an answer — answers a client need not read, so after
 * MAX_REFUSALS (64) its session ends; and a client that does not read its answers gets no more
 * credit until it does, so the worker never piles up answers for it. And credit is per session, so a client that
 * opens stream after stream could make one worker hold sessions x --concurrency batches without
 * end. The worker serves at most --max-sessions sessions at once and refuses one more with
 * UNAVAILABLE naming the flag (a driver fails its call with that
 * message, it does not retry in a loop); a session that ends frees its place; the worker keeps
 * serving throughout.
 */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import v8 from 'node:v8';
import * as grpc from '@grpc/grpc-js';
import { delayed, Parallel } from '@parajob/core';
import { GrpcBackend } from '@parajob/grpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AttackTarget,
  decodeGrpcAnswer,
  makeAttackProject,
  pwned,
  RawGrpcSession,
  startGrpcTarget,
  wireBatch,
} from '../helpers/attack.js';

const project = makeAttackProject();
const legit = () => wireBatch([{ name: 'double', module: './tasks.mjs' }], [[1], [2]]);
const CORE = JSON.stringify(`file://${join(project.root, 'node_modules/@parajob/core/dist/index.js')}`);
writeFileSync(
  join(project.root, 'big.mjs'),
  `import { task } from ${CORE};\nexport const big = task(import.meta.url, function big(n) { return 'x'.repeat(n); });\n`,
);

/** The raw stream under a RawGrpcSession, for what its helpers do not cover. */
const streamOf = (session: RawGrpcSession) =>
  (
    session as unknown as {
      stream: grpc.ClientDuplexStream<
        unknown,
        { result?: { id: number; payload?: Buffer; failure?: Buffer } }
      >;
    }
  ).stream;

afterAll(() => project.remove());

/** The status a session ends with (the raw client keeps its stream private). */
function statusOf(session: RawGrpcSession): Promise<grpc.StatusObject> {
  const stream = (session as unknown as { stream: grpc.ClientDuplexStream<unknown, unknown> }).stream;
  return new Promise((resolve) => stream.on('status', resolve));
}

describe('gRPC worker: a bounded number of sessions', () => {
  let target: AttackTarget & { address: string };
  beforeAll(async () => {
    // the attack target keeps one session of its own open for target.send()
    target = await startGrpcTarget(project, ['--max-sessions', '3']);
  });
  afterAll(async () => {
    await target?.stop();
  });

  it('refuses a session beyond --max-sessions, and takes one again when a session ends', async () => {
    const held = [new RawGrpcSession(target.address), new RawGrpcSession(target.address)];
    // each open session answers a batch, so all three places are taken
    for (const s of held)
      expect(decodeGrpcAnswer(await s.request(v8.serialize(legit())))).toEqual({ values: [2, 4] });
    const extra = new RawGrpcSession(target.address);
    const status = statusOf(extra);
    extra.write({ batch: { id: 1, payload: v8.serialize(legit()), timeoutMs: 0 } });
    const refused = await status;
    expect(refused.code).toBe(grpc.status.UNAVAILABLE);
    expect(refused.details).toContain('--max-sessions 3');
    extra.close();
    // a real driver gets a clear error, not a hang
    const backend = new GrpcBackend({ workers: [target.address] });
    try {
      const { double } = (await import(pathToFileURL(`${project.root}/tasks.mjs`).href)) as {
        double: (x: number) => number;
      };
      await expect(new Parallel({ backend, nJobs: 1 }).run([delayed(double)(1)])).rejects.toThrow(
        /--max-sessions 3/,
      );
    } finally {
      await backend.terminate();
    }
    // the worker still serves its sessions
    expect(await target.send(legit())).toEqual({ values: [2, 4] });
    held.pop()!.close();
    // a freed place is taken again (the close reaches the worker asynchronously: retry until it has)
    let answer: ReturnType<typeof decodeGrpcAnswer> | undefined;
    for (let attempt = 0; attempt < 50 && answer === undefined; attempt++) {
      const next = new RawGrpcSession(target.address);
      const ended = statusOf(next).then(() => undefined);
      const answered = next.request(v8.serialize(legit())).then(decodeGrpcAnswer);
      answer = await Promise.race([answered, ended]);
      if (answer === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
      next.close();
    }
    expect(answer).toEqual({ values: [2, 4] });
    for (const s of held) s.close();
    expect(target.alive()).toBe(true);
    expect(pwned(project)).toBe(false);
  });
});

describe('gRPC worker: clients that do not behave like drivers', () => {
  let target: AttackTarget & { address: string };
  beforeAll(async () => {
    target = await startGrpcTarget(project);
  });
  afterAll(async () => {
    await target?.stop();
  });

  it('ends a session that keeps sending beyond its credit', async () => {
    const session = new RawGrpcSession(target.address);
    const stream = streamOf(session);
    const ended = statusOf(session);
    let refused = 0;
    stream.on('data', (m) => {
      if (m.result?.failure && m.result.failure.length > 0) refused++;
    });
    try {
      // the only slot is taken by a slow batch, so every other batch is beyond the credit
      void session.request(v8.serialize(wireBatch([{ name: 'nap', module: './tasks.mjs' }], [[2000]])), 1);
      for (let id = 2; id < 200; id++)
        session.write({ batch: { id, payload: v8.serialize(legit()), timeoutMs: 0 } });
      const status = await ended;
      expect(status.code).toBe(grpc.status.FAILED_PRECONDITION);
      expect(status.details).toContain('more than 64 batches beyond its credit');
      expect(refused).toBeLessThanOrEqual(64);
    } finally {
      session.close();
    }
    expect(target.alive()).toBe(true);
    expect(await target.send(legit())).toEqual({ values: [2, 4] });
  });

  it('grants no more credit to a client that does not read its answers', async () => {
    const session = new RawGrpcSession(target.address);
    const stream = streamOf(session);
    let values = 0;
    let refused = 0;
    stream.on('data', (m) => {
      if (m.result?.failure && m.result.failure.length > 0) refused++;
      else if (m.result?.payload) values++;
    });
    stream.pause();
    try {
      const batch = v8.serialize(wireBatch([{ name: 'big', module: './big.mjs' }], [[256 * 1024]]));
      // one batch at a time, each after the previous one had time to finish: within credit if answers were read
      for (let id = 1; id <= 60; id++) {
        session.write({ batch: { id, payload: batch, timeoutMs: 0 } });
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
      stream.resume();
      for (let i = 0; i < 100 && values + refused < 60; i++)
        await new Promise((resolve) => setTimeout(resolve, 50));
      expect(values + refused).toBe(60);
      expect(refused).toBeGreaterThan(0);
    } finally {
      session.close();
    }
    expect(await target.send(legit())).toEqual({ values: [2, 4] });
  });
});
