/**
 * The client conformance suite: one set of tests every engine runs against itself (vitest), so
 * the local engine and NATS behave the same for what they both support:
 *
 *   import { describeClientConformance } from '@parajob/client/testing';
 *   describeClientConformance('local', { connect: () => connect({ numCpus: 2 }), supports: LOCAL_SUPPORTS });
 *
 * Features an engine reports as unsupported (engine.supports.x === false) are skipped, with the
 * reason in the test's name.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  add,
  Counter,
  CustomError,
  chain,
  chainAwait,
  countTo,
  describeNested,
  exitUntil,
  fail,
  forwardNested,
  identity,
  produce,
  sleep,
  spin,
  square,
  sumArray,
  sumOfSquares,
  throwUntil,
  treeCount,
} from '@parajob/client/testing/tasks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../client.js';
import type { EngineSupports } from '../engine.js';
import { ActorDiedError, GetTimeoutError, TaskCancelledError } from '../errors.js';
import { ObjectRef } from '../object-ref.js';

/** Deeper than the slots of the clusters the suite runs on (2 to 4): parents wait in get() on every level. */
const CHAIN_DEPTH = 12;

export interface ClientConformanceOptions {
  /** A connected client (one for the whole suite). */
  readonly connect: () => Promise<Client>;
  /** What the engine supports (checked against client.supports); unsupported features are skipped. */
  readonly supports: EngineSupports;
  /** Called once after the suite (stop servers, workers...). */
  readonly cleanup?: () => Promise<void> | void;
}

export function describeClientConformance(name: string, options: ClientConformanceOptions): void {
  let client: Client;
  let dir: string;
  let files = 0;
  const file = () => join(dir, `counter-${files++}`);
  const feature = (flag: keyof EngineSupports) =>
    options.supports[flag]
      ? it
      : (title: string, fn: () => unknown, timeout?: number) =>
          it.skip(`${title} [skipped: engine.supports.${flag} is false]`, fn, timeout);

  describe(`${name} client conformance`, () => {
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'parajob-client-'));
      client = await options.connect();
      expect(client.supports).toEqual(options.supports);
    });
    afterAll(async () => {
      await client?.close();
      rmSync(dir, { recursive: true, force: true });
      await options.cleanup?.();
    });

    describe('tasks', () => {
      it('remote() returns an ObjectRef at once; get() gives its value; refs are awaitable', async () => {
        const ref = client.remote(square).remote(4);
        expect(ref).toBeInstanceOf(ObjectRef);
        expect(await client.get(ref)).toBe(16);
        expect(await client.remote(square).remote(5)).toBe(25);
      });

      it('get() of a list keeps its order', async () => {
        const refs = [30, 1, 20, 5].map((ms) => client.remote(sleep).remote(ms));
        expect(await client.get(refs)).toEqual([30, 1, 20, 5]);
      });

      it('a task error keeps message, name and code; get() rejects with it', async () => {
        const error = await client.get(client.remote(fail).remote('boom')).catch((e) => e);
        expect(error.message).toBe('boom');
        expect(error.name).toBe('CustomError');
        expect(error.code).toBe('E_CUSTOM');
      });

      it('get() of a list rejects as soon as one task fails, without waiting for the others', async () => {
        const slow = client.remote(sleep).remote(5000);
        try {
          const error = await client
            .get([slow, client.remote(fail).remote('early')], { timeout: 4000 })
            .catch((e) => e);
          expect(error.message).toBe('early');
        } finally {
          client.cancel(slow); // a failed assertion must not leave a slot busy for the next tests
        }
      });

      it('get({ timeout }) rejects with GetTimeoutError, and the ref still settles later', async () => {
        const ref = client.remote(sleep).remote(300, 'late');
        await expect(client.get(ref, { timeout: 20 })).rejects.toBeInstanceOf(GetTimeoutError);
        expect(await client.get(ref)).toBe('late');
      });

      it('numReturns: 2 gives two refs', async () => {
        const [a, b] = client.remote(identity).options({ numReturns: 2 }).remote([1, 'two']) as ObjectRef[];
        expect(await client.get([a!, b!])).toEqual([1, 'two']);
      });

      it('rejects bad options naming the option', () => {
        expect(() => client.remote(square).options({ maxRetries: -2 })).toThrow(/maxRetries/);
        expect(() => client.remote(square).options({ numCpu: 1 } as never)).toThrow(
          /unknown option 'numCpu'/,
        );
      });
    });

    describe('dependencies', () => {
      it('refs passed as arguments are resolved before the task runs (a chain)', async () => {
        let ref: ObjectRef<number> = client.put(0);
        for (let i = 0; i < 20; i++) ref = client.remote(add).remote(ref, 1);
        expect(await client.get(ref)).toBe(20);
      });

      it('a task whose argument failed fails with that error', async () => {
        const failed = client.remote(fail).remote('upstream');
        const error = await client.get(client.remote(add).remote(failed as never, 1)).catch((e) => e);
        expect(error.message).toBe('upstream');
        expect(error.code).toBe('E_CUSTOM');
      });
    });

    describe('wait', () => {
      it('returns ready and notReady in input order', async () => {
        const slow = client.remote(sleep).remote(2000);
        try {
          const fast = [client.remote(sleep).remote(1), client.remote(sleep).remote(2)];
          const refs = [slow, ...fast];
          const { ready, notReady } = await client.wait(refs, { numReturns: 2, timeout: 10_000 });
          expect(ready).toEqual(fast);
          expect(notReady).toEqual([slow]);
        } finally {
          client.cancel(slow);
        }
      });

      it('returns at the timeout with what is ready', async () => {
        const slow = client.remote(sleep).remote(2000);
        try {
          const { ready, notReady } = await client.wait([slow], { timeout: 10 });
          expect(ready).toEqual([]);
          expect(notReady).toEqual([slow]);
        } finally {
          client.cancel(slow);
        }
      });

      it('rejects duplicate refs and numReturns > refs.length, as Ray raises', async () => {
        const ref = client.put(1);
        await expect(client.wait([ref, ref])).rejects.toThrow(/appears twice/);
        await expect(client.wait([ref], { numReturns: 2 })).rejects.toThrow(/numReturns/);
      });
    });

    describe('put', () => {
      it('stores a value once; many tasks read it through its ref', async () => {
        const array = new Float64Array(100_000).fill(0.5);
        const ref = client.put(array);
        const results = await client.get(
          Array.from({ length: 4 }, () => client.remote(sumArray).remote(ref)),
        );
        for (const r of results) expect(r.sum).toBe(50_000);
        expect(await client.get(ref)).toEqual(array);
      });
    });

    describe('cancel', () => {
      it('cancels a running task: get() rejects with TaskCancelledError', async () => {
        const ref = client.remote(sleep).remote(5000);
        await new Promise((r) => setTimeout(r, 50));
        client.cancel(ref);
        await expect(client.get(ref)).rejects.toBeInstanceOf(TaskCancelledError);
      });

      it('cancels a task waiting for its arguments; cancelling a finished task changes nothing', async () => {
        const slow = client.remote(sleep).remote(5000);
        const dependent = client.remote(add).remote(slow as never, 1);
        client.cancel(dependent);
        await expect(client.get(dependent)).rejects.toBeInstanceOf(TaskCancelledError);
        client.cancel(slow);
        const done = client.remote(square).remote(3);
        expect(await client.get(done)).toBe(9);
        client.cancel(done);
        expect(await client.get(done)).toBe(9);
      });
    });

    describe('objects', () => {
      feature('nestedRefs')('refs nested inside an argument are passed as refs, not resolved', async () => {
        const inner = client.put(42);
        expect(await client.get(client.remote(describeNested).remote({ ref: inner }))).toEqual({
          isRef: true,
          value: 42,
        });
      });

      feature('nestedRefs')(
        'a nested ref of a task still running is passed at once; the task gets its value (and its error)',
        async () => {
          const slow = client.remote(sleep).remote(300, 7);
          expect(await client.get(client.remote(describeNested).remote({ ref: slow }))).toEqual({
            isRef: true,
            value: 7,
          });
          const failed = client.remote(fail).remote('inner');
          const error = await client
            .get(client.remote(describeNested).remote({ ref: failed }))
            .catch((e) => e);
          expect(error.message).toBe('inner');
        },
      );

      feature('nestedRefs')('nested refs travel on from a task to the tasks it submits', async () => {
        const refs = [client.put(1), client.remote(square).remote(3), client.put(10)];
        expect(await client.get(client.remote(forwardNested).remote({ refs }), { timeout: 30_000 })).toBe(20);
      });
    });

    describe('failures', () => {
      feature('retries')('a task that kills its worker is retried (maxRetries, default 3)', async () => {
        expect(await client.get(client.remote(exitUntil).remote(file(), 2))).toBe(3);
      });

      feature('retries')(
        'with maxRetries: 0 a dead worker fails the task with WorkerCrashedError',
        async () => {
          const error = await client
            .get(client.remote(exitUntil).options({ maxRetries: 0 }).remote(file(), 1))
            .catch((e) => e);
          expect(error.name).toBe('WorkerCrashedError');
        },
      );

      feature('retries')('exceptions are not retried unless retryExceptions says so', async () => {
        const once = file();
        await expect(client.get(client.remote(throwUntil).remote(once, 1))).rejects.toThrow(
          /attempt 1 failed/,
        );
        expect(
          await client.get(client.remote(throwUntil).options({ retryExceptions: true }).remote(file(), 2)),
        ).toBe(3);
        expect(
          await client.get(
            client
              .remote(throwUntil)
              .options({ retryExceptions: [CustomError] })
              .remote(file(), 1),
          ),
        ).toBe(2);
        const other = client
          .remote(throwUntil)
          .options({ retryExceptions: [RangeError] })
          .remote(file(), 1);
        await expect(client.get(other)).rejects.toThrow(/attempt 1 failed/);
      });

      feature('forceCancel')(
        'force cancel stops running synchronous tasks: their slots run the next task',
        async () => {
          const spinning = [client.remote(spin).remote(60_000), client.remote(spin).remote(60_000)];
          await new Promise((resolve) => setTimeout(resolve, 300));
          for (const ref of spinning) client.cancel(ref, { force: true });
          for (const ref of spinning)
            await expect(client.get(ref)).rejects.toBeInstanceOf(TaskCancelledError);
          expect(await client.get(client.remote(square).remote(7), { timeout: 20_000 })).toBe(49);
        },
      );

      feature('errorClasses')('errors keep a class the task module exports', async () => {
        const error = await client.get(client.remote(fail).remote('typed')).catch((e) => e);
        expect(error).toBeInstanceOf(CustomError);
      });

      feature('resources')('a task needing more than the cluster declares fails at once', async () => {
        const ref = client
          .remote(square)
          .options({ resources: { unicorn: 1 } })
          .remote(2);
        await expect(client.get(ref)).rejects.toThrow(/unicorn: 1/);
      });
    });

    describe('nested tasks', () => {
      feature('nested')('a task submits tasks and gets their results through currentClient()', async () => {
        expect(await client.get(client.remote(sumOfSquares).remote(10))).toBe(285);
      });

      feature('nested')(
        'a chain of nested tasks deeper than the worker slots completes (a task waiting in get lends its slot)',
        async () => {
          expect(await client.get(client.remote(chain).remote(CHAIN_DEPTH), { timeout: 60_000 })).toBe(
            CHAIN_DEPTH,
          );
        },
        90_000,
      );

      feature('nested')(
        "a chain of nested tasks awaiting their child's ref (await ref, no get) completes",
        async () => {
          expect(await client.get(client.remote(chainAwait).remote(CHAIN_DEPTH), { timeout: 60_000 })).toBe(
            CHAIN_DEPTH,
          );
        },
        90_000,
      );

      feature('nested')(
        'a tree of nested tasks completes (every parent waits in get for two children)',
        async () => {
          expect(await client.get(client.remote(treeCount).remote(32), { timeout: 60_000 })).toBe(32);
        },
        90_000,
      );
    });

    describe('actors', () => {
      feature('actors')('keeps state; calls run in submission order', async () => {
        const counter = await client.actor(Counter, 10);
        const refs = Array.from({ length: 20 }, () => counter.increment.remote(1));
        expect(await client.get(refs)).toEqual(Array.from({ length: 20 }, (_, i) => 11 + i));
        // async methods too: each sees the previous one's result
        const slow = [counter.slowIncrement.remote(5), counter.slowIncrement.remote(1)];
        expect(await client.get(slow)).toEqual([31, 32]);
        client.kill(counter);
      });

      feature('actors')('async methods run concurrently up to maxConcurrency', async () => {
        const counter = await client.actorWith(Counter, { maxConcurrency: 3 });
        const peaks = await client.get(Array.from({ length: 6 }, () => counter.concurrentProbe.remote(200)));
        expect(Math.max(...peaks)).toBe(3);
        client.kill(counter);
      });

      feature('actors')('kill() fails pending and later calls with ActorDiedError', async () => {
        const counter = await client.actor(Counter);
        const pending = counter.slowIncrement.remote(5000);
        client.kill(counter);
        await expect(client.get(pending)).rejects.toBeInstanceOf(ActorDiedError);
        await expect(client.get(counter.get.remote())).rejects.toBeInstanceOf(ActorDiedError);
      });

      feature('actors')(
        'a dead worker restarts the actor while maxRestarts allows (constructor runs again)',
        async () => {
          const counter = await client.actorWith(Counter, { maxRestarts: 1 }, 7);
          expect(await client.get(counter.increment.remote(1))).toBe(8);
          await expect(client.get(counter.exit.remote())).rejects.toBeInstanceOf(ActorDiedError);
          expect(await client.get(counter.get.remote())).toBe(7);
          await expect(client.get(counter.exit.remote())).rejects.toBeInstanceOf(ActorDiedError);
          await expect(client.get(counter.get.remote())).rejects.toBeInstanceOf(ActorDiedError);
        },
      );

      feature('actors')(
        'a call waiting for a ref argument holds back the calls after it (order kept)',
        async () => {
          const counter = await client.actor(Counter);
          const slow = client.remote(sleep).remote(100, 10);
          const first = counter.increment.remote(slow as never);
          const second = counter.increment.remote(1);
          expect(await client.get([first, second])).toEqual([10, 11]);
          client.kill(counter);
        },
      );

      feature('actors')('an async generator method streams its values', async () => {
        const counter = await client.actor(Counter, 100);
        const seen: number[] = [];
        for await (const value of counter.stream.remote(3)) seen.push(value);
        expect(seen).toEqual([100, 101, 102]);
        client.kill(counter);
      });

      feature('actors')('a method error rejects that call only', async () => {
        const counter = await client.actor(Counter);
        await expect(client.get(counter.fail.remote('nope'))).rejects.toThrow('nope');
        expect(await client.get(counter.increment.remote(2))).toBe(2);
        client.kill(counter);
      });
    });

    describe('streaming generators', () => {
      feature('generators')('yields refs as the task produces values', async () => {
        const seen: number[] = [];
        for await (const value of client.remote(countTo).remote(5)) seen.push(value);
        expect(seen).toEqual([0, 1, 2, 3, 4]);
      });

      feature('generators')('break cancels the task (its finally runs)', async () => {
        const log = file();
        for await (const value of client.remote(countTo).remote(1_000_000, log)) if (value === 3) break;
        for (let i = 0; i < 200 && !readable(log); i++) await new Promise((r) => setTimeout(r, 10));
        expect(readFileSync(log, 'utf8')).toBe('closed\n');
      });

      feature('generators')('the producer runs at most generatorBackpressure items ahead', async () => {
        const log = file();
        const stream = client.remote(produce).options({ generatorBackpressure: 4 }).remote(log);
        const first = await stream.next();
        expect(first.value).toBe(0);
        await new Promise((r) => setTimeout(r, 200));
        const produced = readFileSync(log, 'utf8').trim().split('\n').length;
        expect(produced).toBeLessThanOrEqual(6);
        await stream.return();
      });
    });
  });
}

function readable(path: string): boolean {
  try {
    return readFileSync(path, 'utf8').length > 0;
  } catch {
    return false;
  }
}

export { CustomError };
