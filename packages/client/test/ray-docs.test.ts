/** Ray's documentation programs (docs.ray.io, ray-core), ported one by one to the local engine. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Client, connect, ObjectRef, TaskCancelledError } from '@parajob/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain JS fixture
import * as ray from './fixtures/ray-docs.mjs';

let client: Client;
let dir: string;
beforeAll(async () => {
  client = await connect({ numCpus: 4 }); // ray.init(num_cpus=4)
  dir = mkdtempSync(join(tmpdir(), 'parajob-ray-docs-'));
});
afterAll(async () => {
  await client.close(); // ray.shutdown()
  rmSync(dir, { recursive: true, force: true });
});

describe("Ray's documentation programs", () => {
  it('tasks: remote, get, refs as arguments, wait, multiple returns', async () => {
    const objRef = client.remote(ray.myFunction).remote();
    expect(await client.get(objRef)).toBe(1);
    for (let i = 0; i < 4; i++) client.remote(ray.slowFunction).remote(); // does not block
    const objRef1 = client.remote(ray.myFunction).remote();
    const objRef2 = client.remote(ray.functionWithAnArgument).remote(objRef1);
    expect(await client.get(objRef2)).toBe(2);
    const objectRefs = [client.remote(ray.slowFunction).remote(), client.remote(ray.slowFunction).remote()];
    const { ready, notReady } = await client.wait(objectRefs, { numReturns: 1 });
    expect(ready.length + notReady.length).toBe(2);
    const [a, b, c] = client.remote(ray.returnMultiple).options({ numReturns: 3 }).remote() as ObjectRef[];
    expect(await client.get([a!, b!, c!])).toEqual([0, 1, 2]);
  });

  it('nested remote functions: g returns refs, h gets them', async () => {
    const refs = (await client.get(client.remote(ray.g).remote())) as ObjectRef[];
    expect(refs).toHaveLength(4);
    for (const r of refs) expect(r).toBeInstanceOf(ObjectRef);
    expect(await client.get(refs)).toEqual([1, 1, 1, 1]);
    expect(await client.get(client.remote(ray.h).remote())).toEqual([1, 1, 1, 1]);
  });

  it('pattern: nested tasks for nested parallelism (distributed quick sort)', async () => {
    const unsorted = Array.from({ length: 20_000 }, (_, i) => (i * 7919) % 20_011);
    const sorted = await client.get(client.remote(ray.quickSortDistributed).remote(unsorted));
    expect(sorted).toEqual([...unsorted].sort((x, y) => x - y));
  });

  it('actors: a Counter keeps its state across calls', async () => {
    const counter = await client.actor(ray.Counter);
    const refs = Array.from({ length: 10 }, () => counter.increment.remote());
    expect(await client.get(refs)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(await client.get(counter.getCounter.remote())).toBe(10);
    // many counters, one call each
    const counters = await Promise.all(Array.from({ length: 4 }, () => client.actor(ray.Counter)));
    expect(await client.get(counters.map((c) => c.increment.remote()))).toEqual([1, 1, 1, 1]);
    for (const c of [counter, ...counters]) client.kill(c);
  });

  it('async actors: max_concurrency lets async methods overlap', async () => {
    const actor = await client.actorWith(ray.AsyncActor, { maxConcurrency: 4 });
    const peaks = await client.get(Array.from({ length: 8 }, () => actor.runConcurrent.remote()));
    expect(Math.max(...peaks)).toBe(4);
    client.kill(actor);
  });

  it('pattern: pipelining (a worker actor given the handle of the queue actor)', async () => {
    const workQueue = await client.actor(ray.WorkQueue);
    const worker = await client.actor(ray.WorkerWithPipelining, workQueue);
    expect(await client.get(worker.run.remote())).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    client.kill(worker);
    client.kill(workQueue);
  });

  it('pattern: a supervisor actor creates and drives worker actors', async () => {
    const supervisor = await client.actorWith(ray.Supervisor, { maxConcurrency: 2 });
    expect(await client.get(supervisor.init.remote())).toBe(3);
    expect(await client.get(supervisor.work.remote())).toEqual(['done', 'done', 'done']);
    client.kill(supervisor);
  });

  it('pattern: an actor synchronizes tasks that get its handle', async () => {
    const signal = await client.actorWith(ray.SignalActor, { maxConcurrency: 8 });
    const tasks = Array.from({ length: 4 }, () => client.remote(ray.waitAndGo).remote(signal));
    const { ready } = await client.wait(tasks, { numReturns: 4, timeout: 200 });
    expect(ready).toEqual([]);
    await client.get(signal.send.remote());
    expect(await client.get(tasks)).toEqual(['go', 'go', 'go', 'go']);
    client.kill(signal);
  });

  it('pattern: ray.wait to limit the number of pending tasks', async () => {
    const actor = await client.actor(ray.Actor);
    const MAX_NUM_PENDING_TASKS = 10;
    let resultRefs: ObjectRef<number>[] = [];
    let done = 0;
    for (let i = 0; i < 100; i++) {
      if (resultRefs.length > MAX_NUM_PENDING_TASKS) {
        const { ready, notReady } = await client.wait(resultRefs, { numReturns: 1 });
        done += (await client.get(ready)).length;
        resultRefs = notReady;
      }
      resultRefs.push(actor.heavyCompute.remote(new Uint8Array(1000)));
      expect(resultRefs.length).toBeLessThanOrEqual(MAX_NUM_PENDING_TASKS + 1);
    }
    done += (await client.get(resultRefs)).length;
    expect(done).toBe(100);
    client.kill(actor);
  });

  it('anti-pattern fixed: process results in completion order with ray.wait', async () => {
    let refs = Array.from({ length: 10 }, (_, i) => client.remote(ray.randomSleep).remote(i));
    const seen: number[] = [];
    while (refs.length > 0) {
      const { ready, notReady } = await client.wait(refs, { numReturns: 1 });
      seen.push((await client.get(ready[0]!)) as number);
      refs = notReady;
    }
    expect([...seen].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('generators: a task yields values to the caller as they are produced', async () => {
    const values: number[] = [];
    for await (const value of client.remote(ray.generatorTask).remote()) values.push(value);
    expect(values).toEqual([0, 1, 2, 3, 4]);
    // Ray's next(gen) style: refs, one at a time
    const gen = client.remote(ray.generatorTask).remote();
    const first = await gen.nextRef();
    expect(await client.get(first.value!)).toBe(0);
    await gen.return();
  });

  it('task cancellation: get raises TaskCancelledError', async () => {
    const objRef = client.remote(ray.blockingOperation).remote();
    client.cancel(objRef);
    await expect(client.get(objRef)).rejects.toBeInstanceOf(TaskCancelledError);
  });

  it('fault tolerance: max_retries after the worker dies; retry_exceptions for errors', async () => {
    const file = join(dir, 'fail');
    writeFileSync(file, '0');
    expect(await client.get(client.remote(ray.potentiallyFail).options({ maxRetries: 1 }).remote(file))).toBe(
      0,
    );
    const flaky = join(dir, 'flaky');
    writeFileSync(flaky, '0');
    await expect(client.get(client.remote(ray.flaky).remote(flaky))).rejects.toBeInstanceOf(ray.RandomError);
    writeFileSync(flaky, '0');
    expect(
      await client.get(
        client
          .remote(ray.flaky)
          .options({ retryExceptions: [ray.RandomError] })
          .remote(flaky),
      ),
    ).toBe('ok');
  });
});
