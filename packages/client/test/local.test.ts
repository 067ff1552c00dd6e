import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Client, connect, type LocalEngine, ObjectRef, TaskCancelledError } from '@parajob/client';
import { add, square, sumArray, treeCount } from '@parajob/client/testing/tasks';
import { sharedArray } from '@parajob/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain JS fixture
import * as fx from './fixtures/tasks.mjs';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'parajob-client-local-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function withClient<T>(
  options: Parameters<typeof connect>[0],
  body: (client: Client) => Promise<T>,
): Promise<T> {
  const client = await connect(options);
  try {
    return await body(client);
  } finally {
    await client.close();
  }
}

describe('local engine: nested tasks release their slot while they wait', () => {
  it('8 parents blocked in get() on 4 CPUs finish', async () => {
    await withClient({ numCpus: 4 }, async (client) => {
      const refs = Array.from({ length: 8 }, (_, i) => client.remote(fx.parent).remote(i));
      expect(await client.get(refs, { timeout: 20_000 })).toEqual(
        Array.from({ length: 8 }, (_, i) => i * 10 + 1),
      );
    });
  });

  it('a nested chain deeper than the worker count finishes (1 CPU, depth 50)', async () => {
    await withClient({ numCpus: 1 }, async (client) => {
      expect(await client.get(client.remote(fx.nestedChain).remote(50), { timeout: 20_000 })).toBe(50);
    });
  });
});

describe('local engine: nested streaming', () => {
  it('a task consumes a stream it started; break cancels it', async () => {
    await withClient({ numCpus: 2 }, async (client) => {
      expect(await client.get(client.remote(fx.sumOfStream).remote(100))).toBe(4950);
      expect(await client.get(client.remote(fx.sumOfStream).remote(1_000_000, 4))).toBe(6);
    });
  });
});

describe('local engine: objects', () => {
  it('put() of a large typed array: tasks read the same shared memory (no copy per task)', async () => {
    await withClient({ numCpus: 2 }, async (client) => {
      const plain = client.put(new Float64Array(200_000).fill(1));
      const shared = client.put(sharedArray(Float64Array, 10));
      const [a, b] = await client.get([
        client.remote(sumArray).remote(plain),
        client.remote(sumArray).remote(shared),
      ]);
      expect(a).toEqual({ sum: 200_000, shared: true });
      expect(b).toEqual({ sum: 0, shared: true });
    });
  });

  it('a ref returned inside a result is a ref the driver can get', async () => {
    await withClient({ numCpus: 1 }, async (client) => {
      const { inner } = (await client.get(client.remote(fx.makeRef).remote('x'))) as {
        inner: ObjectRef<string>;
      };
      expect(inner).toBeInstanceOf(ObjectRef);
      expect(await client.get(inner)).toBe('x');
    });
  });

  it('a result that cannot be cloned fails with a SerializationError naming the path', async () => {
    await withClient({ numCpus: 1 }, async (client) => {
      const error = await client.get(client.remote(fx.returnsFunction).remote()).catch((e) => e);
      expect(error.name).toBe('SerializationError');
      expect(error.message).toMatch(/result\.cb/);
    });
  });

  it('an argument that cannot be cloned fails the task with a SerializationError naming the path', async () => {
    await withClient({ numCpus: 1 }, async (client) => {
      const error = await client.get(client.remote(square).remote({ cb: () => 1 } as never)).catch((e) => e);
      expect(error.name).toBe('SerializationError');
      expect(error.message).toMatch(/args\[0\]\.cb/);
      expect(await client.get(client.remote(square).remote(3))).toBe(9);
    });
  });

  it('self-contained functions are shipped by source', async () => {
    await withClient({ numCpus: 1 }, async (client) => {
      expect(await client.get(client.remote((x: number) => x * 3).remote(5))).toBe(15);
    });
  });
});

describe('local engine: cancel', () => {
  it('force cancels a synchronous task by replacing its worker; the cluster keeps working', async () => {
    await withClient({ numCpus: 1 }, async (client) => {
      const ref = client.remote(fx.spinFor).remote(60_000);
      await new Promise((r) => setTimeout(r, 200));
      client.cancel(ref, { force: true });
      await expect(client.get(ref)).rejects.toBeInstanceOf(TaskCancelledError);
      expect(await client.get(client.remote(square).remote(7), { timeout: 20_000 })).toBe(49);
    });
  });

  it('recursive cancel reaches the tasks a task submitted (their signal aborts)', async () => {
    await withClient({ numCpus: 2 }, async (client) => {
      const log = join(dir, 'recursive');
      const ref = client.remote(fx.parentOfSleeper).remote(log);
      for (let i = 0; i < 500 && !readFileSync(log, { flag: 'a+' }).toString().includes('started'); i++)
        await new Promise((r) => setTimeout(r, 10));
      client.cancel(ref);
      await expect(client.get(ref)).rejects.toBeInstanceOf(TaskCancelledError);
      for (let i = 0; i < 500 && !readFileSync(log, 'utf8').includes('aborted'); i++)
        await new Promise((r) => setTimeout(r, 10));
      expect(readFileSync(log, 'utf8')).toBe('child started\nchild aborted\n');
    });
  });
});

describe('local engine: resources', () => {
  it('a custom resource limits how many tasks hold it at once', async () => {
    await withClient({ numCpus: 4, resources: { db: 2 } }, async (client) => {
      const counter = new Int32Array(new SharedArrayBuffer(8));
      const hold = client.remote(fx.holdSlot).options({ resources: { db: 1 } });
      await client.get(Array.from({ length: 6 }, () => hold.remote(counter, 200)));
      // never more than the 2 declared (without the limit, the 4 CPUs would run up to 4 at once)
      expect(counter[1]).toBeGreaterThanOrEqual(1);
      expect(counter[1]).toBeLessThanOrEqual(2);
      expect(client.clusterResources()).toEqual({ CPU: 4, db: 2 });
    });
  });

  it('numCpus: 2 on a 2-CPU cluster runs one at a time', async () => {
    await withClient({ numCpus: 2 }, async (client) => {
      const counter = new Int32Array(new SharedArrayBuffer(8));
      await client.get(
        Array.from({ length: 4 }, () =>
          client.remote(fx.holdSlot).options({ numCpus: 2 }).remote(counter, 30),
        ),
      );
      expect(counter[1]).toBe(1);
    });
  });
});

describe('local engine: lifecycle', () => {
  it('a driver that never calls close() exits once its work is done; pending work keeps it alive', () => {
    const script = fileURLToPath(new URL('./fixtures/no-close.mjs', import.meta.url));
    const run = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 20_000 });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('[9,16]');
    expect(run.status).toBe(0);
  });
});

describe('local engine: scale', () => {
  it('a chain of 1 000 dependent tasks on 2 workers', async () => {
    await withClient({ numCpus: 2 }, async (client) => {
      let ref: ObjectRef<number> = client.put(0);
      for (let i = 0; i < 1000; i++) ref = client.remote(add).remote(ref, 1);
      expect(await client.get(ref, { timeout: 60_000 })).toBe(1000);
    });
  });

  it('a tree of 10 000 nested tasks on 2 workers', async () => {
    await withClient({ numCpus: 2 }, async (client) => {
      expect(await client.get(client.remote(treeCount).remote(10_000), { timeout: 120_000 })).toBe(10_000);
      // what the nested tasks made was freed as each parent ended
      expect((client.engine as LocalEngine).heldObjects).toBe(0);
    });
  }, 150_000);
});
