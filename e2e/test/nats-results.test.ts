/**
 * Every result reaches its caller, against a real nats-server 2.9 and real workers: thousands of
 * short one-task calls through the Ray-like client and through Parallel. (A filtered purge of the
 * results stream after each call once made the ordered results consumer skip other calls'
 * results: about 1 in 10 refs never resolved.)
 */
import { delayed, Parallel } from '@parajob/core';
import { connect, NatsBackend } from '@parajob/nats';
import { natsServerAvailable } from '@parajob/nats/testing';
import { describe, expect, it } from 'vitest';
import { markedSquare } from '../fixtures/nats/tasks.mjs';
import { natsTestEnvironment } from '../helpers/nats-env.js';
import { queueAfterDrain, queuedBatches } from '../helpers/nats-state.js';

const CALLS = 2_000;

describe.runIf(natsServerAvailable())('nats: no result is lost', () => {
  const env = natsTestEnvironment();

  it(`${CALLS} one-task calls through connect()/remote/get: every ref resolves`, {
    timeout: 240_000,
  }, async () => {
    const ns = 'manyrefs';
    await env.worker(ns, ['--concurrency', '2']);
    const cluster = await connect({ servers: env.server.url, namespace: ns });
    try {
      const sq = cluster.remote(markedSquare);
      const inputs = Array.from({ length: CALLS }, (_, i) => i);
      // in waves, as a program would: each wave's cleanup runs while the next wave's results arrive
      const values: number[] = [];
      for (let start = 0; start < CALLS; start += 250) {
        const refs = inputs.slice(start, start + 250).map((x) => sq.remote(x, 0, null));
        // a generous hang guard: a lost result shows as a GetTimeoutError naming how many are missing
        values.push(...(await cluster.get(refs, { timeout: 120_000 })));
      }
      expect(values).toEqual(inputs.map((x) => x * x));
    } finally {
      await cluster.close();
    }
    expect(await queueAfterDrain(env.server.url, ns, 10_000)).toBe(0);
  });

  it(`${CALLS} one-task Parallel calls on one nats backend, 10 at a time: every call returns its result`, {
    timeout: 240_000,
  }, async () => {
    const ns = 'manycalls';
    await env.worker(ns, ['--concurrency', '2']);
    const backend = new NatsBackend({ servers: env.server.url, namespace: ns });
    const lanes = 10;
    const results = await Promise.all(
      Array.from({ length: lanes }, async (_, lane) => {
        const parallel = new Parallel({ backend, nJobs: 2 });
        const got: number[] = [];
        for (let x = lane; x < CALLS; x += lanes)
          got.push(...(await parallel.run([delayed(markedSquare)(x, 0, null)])));
        return got;
      }),
    );
    await backend.terminate();
    for (let lane = 0; lane < lanes; lane++) {
      const xs = Array.from({ length: CALLS / lanes }, (_, k) => lane + k * lanes);
      expect(results[lane]).toEqual(xs.map((x) => x * x));
    }
    expect(await queuedBatches(env.server.url, ns)).toBe(0);
  });
});
