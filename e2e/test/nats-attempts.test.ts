/**
 * Which deliveries of a NATS batch are attempts (`maxAttempts`): a delivery whose worker vanished
 * with it (SIGKILL) is; one made while the worker running the batch is alive is not. The second
 * happens when nats-server is killed (-9) and restarted: the restarted server checks its batches
 * before the worker's heartbeats reach it, and delivers the running batch again. Here the running
 * worker is paused (SIGSTOP) across the restart, like a worker that reconnects late, so that this
 * happens every time.
 */
import { readdirSync } from 'node:fs';
import { delayed, Parallel, WorkerCrashedError } from '@parajob/core';
import { NatsBackend } from '@parajob/nats';
import { natsServerAvailable } from '@parajob/nats/testing';
import { describe, expect, it } from 'vitest';
import { markedSquare } from '../fixtures/nats/tasks.mjs';
import { natsTestEnvironment } from '../helpers/nats-env.js';
import { queueAfterDrain } from '../helpers/nats-state.js';
import type { CliWorker } from '../helpers/nats-workers.js';

const ACK_WAIT = 1_500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The `<x>.<pid>.start` markers markedSquare wrote for task x: one per run of it. */
const startsOf = (dir: string, x: number) =>
  readdirSync(dir).filter((f) => f.startsWith(`${x}.`) && f.endsWith('.start'));
/** The worker whose run of task x wrote the first start marker. */
const runnerOf = (dir: string, x: number, workers: readonly CliWorker[]) => {
  const pid = Number(startsOf(dir, x)[0]!.split('.')[1]);
  return workers.find((w) => w.child.pid === pid)!;
};
const parked = (delivery: number) => `(delivery ${delivery}) while a live worker still runs it`;

describe.runIf(natsServerAvailable())('nats: which deliveries are attempts', () => {
  const env = natsTestEnvironment();
  const worker = (namespace: string, flags: readonly string[]) =>
    env.worker(namespace, ['--concurrency', '1', '--ack-wait', String(ACK_WAIT), ...flags]);

  /**
   * Two workers, a backend with `maxAttempts`, and a call of markedSquare(x, ms) started on one of
   * them. `flags`: more worker flags.
   */
  const start = async (
    ns: string,
    maxAttempts: number,
    x: number,
    ms: number,
    flags: readonly string[] = [],
  ) => {
    const dir = env.markers();
    const workers = [await worker(ns, flags), await worker(ns, flags)];
    const backend = new NatsBackend({
      servers: env.server.url,
      namespace: ns,
      ackWaitMs: ACK_WAIT,
      maxAttempts,
    });
    const call = new Parallel({ backend, nJobs: 1 })
      .run([delayed(markedSquare)(x, ms, dir)])
      .catch((e: unknown) => e);
    while (startsOf(dir, x).length === 0) await sleep(10);
    const running = runnerOf(dir, x, workers);
    const other = workers.find((w) => w !== running)!;
    return { dir, backend, call, running, other };
  };

  /** kill -9 and restart nats-server while `w` is paused, until after the server checked its batches. */
  const restartWhilePaused = async (w: CliWorker) => {
    w.child.kill('SIGSTOP');
    try {
      await env.server.kill();
      await sleep(ACK_WAIT);
      await env.server.launch();
      // the restarted server checks its batches within min(ack wait, 1.5 s) of starting
      await sleep(ACK_WAIT + 500);
    } finally {
      w.child.kill('SIGCONT');
    }
  };

  it('a batch running on a live worker while nats-server is killed -9 and restarted is not an attempt', async () => {
    // maxAttempts 1: a delivery after a restart counted as an attempt fails the call (MAX_DELIVERIES)
    // a paused worker reconnects after SIGCONT: on a loaded machine that took longer than the
    // default 2.5 s holder wait once (the batch then ran twice); 10 s leaves room for any load
    const { dir, backend, call, running, other } = await start('restartrun', 1, 3, 8_000, [
      '--holder-wait',
      '10000',
    ]);
    for (let round = 0; round < 2; round++) {
      await restartWhilePaused(running);
      await sleep(1_000);
    }
    expect(await call).toEqual([9]);
    // run once: the other worker's deliveries waited for the live worker's run
    expect(startsOf(dir, 3)).toHaveLength(1);
    for (const delivery of [2, 3]) expect(other.stderr()).toContain(parked(delivery));
    await backend.terminate();
    expect(await queueAfterDrain(env.server.url, 'restartrun', 10_000)).toBe(0);
  });

  it('a worker killed -9 mid-batch is an attempt: WorkerCrashedError after maxAttempts', async () => {
    const { dir, backend, call, running } = await start('crashcount', 1, 4, 60_000);
    running.child.kill('SIGKILL');
    const error = await call;
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect(error).toMatchObject({ exitReason: 'MAX_DELIVERIES', taskIndex: 0 });
    // its one attempt was used up by the crash: the other worker did not run it again
    expect(startsOf(dir, 4)).toHaveLength(1);
    await backend.terminate();
    expect(await queueAfterDrain(env.server.url, 'crashcount', 10_000)).toBe(0);
  });

  it('after a delivery that was not an attempt, the running worker dying is the next attempt', async () => {
    // maxAttempts 2: delivery 3 (after one parked delivery) is attempt 2, and runs
    const { dir, backend, call, running, other } = await start('parkedcrash', 2, 5, 12_000);
    await restartWhilePaused(running);
    // bounded: on a worker that counts every delivery, the line never comes
    for (let waited = 0; waited < 10_000 && !other.stderr().includes(parked(2)); waited += 50)
      await sleep(50);
    expect(other.stderr()).toContain(parked(2));
    running.child.kill('SIGKILL');
    expect(await call).toEqual([25]);
    expect(other.stderr()).toContain(
      '(delivery 3) and no live worker runs it: its worker vanished with it, attempt 2 of 2',
    );
    expect(startsOf(dir, 5)).toHaveLength(2);
    await backend.terminate();
    expect(await queueAfterDrain(env.server.url, 'parkedcrash', 10_000)).toBe(0);
  });
});
