import { type Client, connect, type LocalEngine, TaskCancelledError } from '@parajob/client';
import { spin, square } from '@parajob/client/testing/tasks';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain JS fixture
import * as fx from './fixtures/tasks.mjs';

async function withClient<T>(numCpus: number, body: (client: Client, engine: LocalEngine) => Promise<T>) {
  const client = await connect({ numCpus });
  try {
    return await body(client, client.engine as LocalEngine);
  } finally {
    await client.close();
  }
}

const squares = (client: Client, n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => client.remote(square).remote(from + i));

describe('local engine: pipelines of small tasks', () => {
  it('a burst of small tasks goes into the threads’ pipelines; every result is right', async () => {
    await withClient(2, async (client, engine) => {
      const values = await client.get(squares(client, 5_000));
      expect(values).toEqual(Array.from({ length: 5_000 }, (_, i) => i * i));
      expect(engine.pipelinedTasks).toBeGreaterThan(0);
    });
  });

  it('plain tasks of one turn travel as one group; a member that cannot be cloned fails alone', async () => {
    // one thread with 4 CPUs: the first task goes at once, the next three as one group of runs,
    // answered as one group of values
    const client = await connect({ numCpus: 4, workers: 1 });
    try {
      const settle = (refs: unknown[]) =>
        Promise.all(refs.map((r) => client.get(r as never).catch((e: Error) => e)));
      // the thread loads both functions first (a first run resolves its function asynchronously)
      await settle([client.remote(square).remote(0), client.remote(fx.returnsFunction).remote()]);
      // a result that cannot be cloned: its answer group is sent again one by one
      const results = await settle([
        client.remote(square).remote(1),
        client.remote(square).remote(2),
        client.remote(fx.returnsFunction).remote(),
        client.remote(square).remote(5),
      ]);
      expect(results[0]).toBe(1);
      expect(results[1]).toBe(4);
      expect((results[2] as Error).name).toBe('SerializationError');
      expect((results[2] as Error).message).toMatch(/result\.cb/);
      expect(results[3]).toBe(25);
      // an argument that cannot be cloned: its group of runs is sent again one by one
      const args = await settle([
        client.remote(square).remote(1),
        client.remote(square).remote(2),
        client.remote(square).remote(Symbol('not cloneable') as never),
        client.remote(square).remote(5),
      ]);
      expect(args[0]).toBe(1);
      expect(args[1]).toBe(4);
      expect((args[2] as Error).name).toBe('SerializationError');
      expect((args[2] as Error).message).toMatch(/args\[0\]/);
      expect(args[3]).toBe(25);
    } finally {
      await client.close();
    }
  });

  it('a task queued in a pipeline behind a long one can be cancelled; the others complete', async () => {
    await withClient(1, async (client) => {
      await client.get(squares(client, 200)); // the thread answers quickly: it gets a pipeline
      const long = client.remote(spin).remote(300);
      const queued = squares(client, 40, 1);
      client.cancel(queued[20]!);
      await expect(client.get(queued[20]!)).rejects.toBeInstanceOf(TaskCancelledError);
      const rest = queued.filter((_, i) => i !== 20);
      expect(await client.get(rest, { timeout: 20_000 })).toEqual(
        Array.from({ length: 40 }, (_, i) => (i + 1) * (i + 1)).filter((_, i) => i !== 20),
      );
      await client.get(long);
    });
  });

  it('pipelined tasks that block in get() let the tasks queued behind them run (1 CPU)', async () => {
    await withClient(1, async (client) => {
      await client.get(squares(client, 200));
      const refs: unknown[] = [];
      for (let i = 0; i < 20; i++)
        refs.push(client.remote(fx.parent).remote(i), ...squares(client, 10, i * 10));
      const values = (await client.get(refs as never[], { timeout: 30_000 })) as number[];
      for (let i = 0; i < 20; i++) expect(values[i * 11]).toBe(i * 10 + 1);
    });
  });
});
