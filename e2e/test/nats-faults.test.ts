/**
 * NATS fault tolerance against a real nats-server and real `parajob worker nats` processes:
 * a worker killed mid-run, the server killed and restarted mid-run, a batch that keeps killing
 * its workers (max deliveries), and a driver abort.
 */
import { readdirSync } from 'node:fs';
import { delayed, Parallel, WorkerCrashedError } from '@parajob/core';
import { NatsBackend } from '@parajob/nats';
import { natsServerAvailable } from '@parajob/nats/testing';
import { describe, expect, it } from 'vitest';
import { killWorkerProcess, markedSquare } from '../fixtures/nats/tasks.mjs';
import { natsTestEnvironment } from '../helpers/nats-env.js';
import { queueAfterDrain, queuedBatches } from '../helpers/nats-state.js';

const ACK_WAIT = 1_500;

describe.runIf(natsServerAvailable())('nats faults', () => {
  const env = natsTestEnvironment();
  const worker = (namespace: string) =>
    env.worker(namespace, ['--concurrency', '1', '--ack-wait', String(ACK_WAIT)]);
  const markers = () => env.markers();
  const queued = (namespace: string) => queuedBatches(env.server.url, namespace);

  it('redelivers the batches of a worker SIGKILLed mid-run, and the call gets every result', async () => {
    const ns = 'killworker';
    const victim = await worker(ns);
    await worker(ns);
    const dir = markers();
    const backend = new NatsBackend({ servers: env.server.url, namespace: ns, ackWaitMs: ACK_WAIT });
    const pid = victim.child.pid;
    const call = new Parallel({ backend, nJobs: 2, batchSize: 1 }).run(
      Array.from({ length: 8 }, (_, i) => delayed(markedSquare)(i, 300, dir)),
    );
    // SIGKILL the victim while it runs a task (its start marker is there, its end marker is not)
    const running = () => {
      const files = readdirSync(dir);
      return files.some((f) => f.endsWith(`.${pid}.start`) && !files.includes(f.replace('.start', '.end')));
    };
    while (!running()) await new Promise((r) => setTimeout(r, 5));
    victim.child.kill('SIGKILL');
    const results = await call;
    await backend.terminate();
    expect(results).toEqual(Array.from({ length: 8 }, (_, i) => i * i));
    expect((await victim.exited).signal).toBe('SIGKILL');
    // the killed worker had started a task it never finished, and another worker ran it again
    const files = readdirSync(dir);
    const stranded = files.filter(
      (f) => f.endsWith(`.${pid}.start`) && !files.includes(f.replace('.start', '.end')),
    );
    expect(stranded.length).toBeGreaterThan(0);
    for (const f of stranded) {
      const x = f.split('.')[0];
      expect(files.some((g) => g.startsWith(`${x}.`) && g.endsWith('.end'))).toBe(true);
    }
  });

  it('survives nats-server being SIGKILLed and restarted mid-run (same port, same store)', async () => {
    const ns = 'restart';
    await worker(ns);
    await worker(ns);
    const backend = new NatsBackend({ servers: env.server.url, namespace: ns, ackWaitMs: ACK_WAIT });
    let restarted: Promise<void> | undefined;
    const results = await new Parallel({
      backend,
      nJobs: 2,
      batchSize: 1,
      onProgress: (p) => {
        if (restarted === undefined && p.completed >= 2) {
          restarted = (async () => {
            await env.server.kill();
            await new Promise((r) => setTimeout(r, 500));
            await env.server.launch();
          })();
        }
      },
    }).run(Array.from({ length: 10 }, (_, i) => delayed(markedSquare)(i, 250, null)));
    await restarted;
    await backend.terminate();
    expect(restarted).toBeDefined();
    expect(results).toEqual(Array.from({ length: 10 }, (_, i) => i * i));
  });

  it('fails the call with WorkerCrashedError when a batch exhausts its deliveries, and deletes it', async () => {
    const ns = 'poison';
    // a supervisor (like systemd) restarts workers that die
    let supervising = true;
    const supervise = async () => {
      while (supervising) {
        const w = await worker(ns);
        await w.exited;
      }
    };
    const supervisors = [supervise()];
    const backend = new NatsBackend({
      servers: env.server.url,
      namespace: ns,
      ackWaitMs: ACK_WAIT,
      maxAttempts: 2,
    });
    const error = await new Parallel({ backend, nJobs: 2 })
      .run([delayed(killWorkerProcess)()])
      .catch((e: unknown) => e);
    supervising = false;
    await backend.terminate();
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect(error).toMatchObject({ exitReason: 'MAX_DELIVERIES', taskIndex: 0 });
    expect((error as Error).message).toMatch(/delivered 2 time/);
    expect(await queued(ns)).toBe(0);
    await env.stopWorkers();
    await Promise.all(supervisors);
  });

  it('abort stops the call’s running batches on the workers and removes its queued ones', async () => {
    const ns = 'abort';
    await worker(ns);
    await worker(ns);
    const dir = markers();
    const backend = new NatsBackend({ servers: env.server.url, namespace: ns, ackWaitMs: ACK_WAIT });
    const controller = new AbortController();
    const reason = new Error('enough');
    const call = new Parallel({
      backend,
      nJobs: 2,
      batchSize: 1,
      preDispatch: 'all',
      signal: controller.signal,
    }).run(Array.from({ length: 20 }, (_, i) => delayed(markedSquare)(i, 1_500, dir)));
    // abort once both workers run a task
    while (readdirSync(dir).filter((f) => f.endsWith('.start')).length < 2)
      await new Promise((r) => setTimeout(r, 20));
    controller.abort(reason);
    await expect(call).rejects.toBe(reason);
    // deleted one by one right after the abort (the call rejects without waiting for that)
    expect(await queueAfterDrain(env.server.url, ns, 10_000)).toBe(0);
    // the running tasks were stopped: they never reach their end, even after their full duration
    await new Promise((r) => setTimeout(r, 2_000));
    const files = readdirSync(dir);
    expect(files.filter((f) => f.endsWith('.start'))).toHaveLength(2);
    expect(files.filter((f) => f.endsWith('.end'))).toHaveLength(0);
    await backend.terminate();
  });
});
