/**
 * The shared piscina pools: one per configuration (threads, resource limits, execArgv, idle
 * timeout), module-level, reused by every backend instance and call that asks for the same one
 * (loky's reusable executor). Idle workers are unref'ed by piscina and leave after the idle
 * timeout, so a pool never keeps the process alive and nobody has to close it.
 */
import type { ResourceLimits } from 'node:worker_threads';
import type { WireResult } from '@parajob/core/backend';
import type { Piscina } from 'piscina';
import { FairQueue } from './fair-queue.js';
import { messages } from './messages.js';
import type { WorkerTask } from './worker.js';

export type WorkerPool = Piscina<WorkerTask, WireResult>;

export interface PoolConfig {
  readonly threads: number;
  readonly resourceLimits: ResourceLimits | null;
  readonly idleTimeout: number;
  /** Batches a thread runs at once (piscina's concurrentTasksPerWorker); default 1. */
  readonly batchesPerThread?: number;
}

// a CommonJS entry that import()s worker.js: see worker-entry.cjs for why piscina must not require() it
const WORKER_FILE = new URL('./worker-entry.cjs', import.meta.url).href;
/** The worker's no-op export run by keepStaffed. */
const WAKE = 'wake';

const pools = new Map<string, WorkerPool>();
const queues = new WeakMap<WorkerPool, FairQueue>();

/**
 * Whether a pool's workers can run at all. Until one batch has completed, a worker that dies
 * without a task (piscina's 'error' event: out of memory at startup under a tiny resourceLimits)
 * means none ever will: piscina would keep the batches queued forever. Such a pool is dropped and
 * its waiting batches fail with the reason.
 */
interface Health {
  proven: boolean;
  readonly onBroken: Set<(error: Error) => void>;
}
const health = new WeakMap<WorkerPool, Health>();

function healthOf(pool: WorkerPool): Health {
  let h = health.get(pool);
  if (h === undefined) health.set(pool, (h = { proven: false, onBroken: new Set() }));
  return h;
}

/** A batch completed on `pool`: its workers can start. */
export function markProven(pool: WorkerPool): void {
  healthOf(pool).proven = true;
}

/** Calls `fail` if the pool turns out unable to start workers; returns the unsubscribe. */
export function onPoolBroken(pool: WorkerPool, fail: (error: Error) => void): () => void {
  const h = healthOf(pool);
  if (h.proven) return () => {};
  h.onBroken.add(fail);
  return () => h.onBroken.delete(fail);
}

/** The fair queue in front of a shared pool: every backend instance and call using the pool goes through it. */
export function queueOf(pool: WorkerPool): FairQueue {
  let queue = queues.get(pool);
  if (queue === undefined)
    queues.set(
      pool,
      (queue = new FairQueue(pool.options.maxThreads * pool.options.concurrentTasksPerWorker)),
    );
  return queue;
}

// piscina is loaded when the first pool is made, not at import: a program (and every worker whose
// task module imports parajob) that never starts worker threads does not pay for it
const loadPiscina = () => import('piscina');
let piscina: ReturnType<typeof loadPiscina> | undefined;

export async function sharedPool(config: PoolConfig): Promise<WorkerPool> {
  const { Piscina } = await (piscina ??= loadPiscina());
  // execArgv is part of the identity: a pool started under other flags (e.g. a loader) is another pool
  const perThread = config.batchesPerThread ?? 1;
  const key = JSON.stringify([
    config.threads,
    config.resourceLimits,
    config.idleTimeout,
    process.execArgv,
    perThread,
  ]);
  let pool = pools.get(key);
  if (pool === undefined) {
    pool = new Piscina<WorkerTask, WireResult>({
      filename: WORKER_FILE,
      minThreads: 0,
      maxThreads: config.threads,
      concurrentTasksPerWorker: perThread,
      ...(perThread > 1 ? { loadBalancer: sharingBalancer(config.threads, perThread) } : {}),
      idleTimeout: config.idleTimeout,
      // Left undefined on purpose: node:worker_threads then inherits the parent's execArgv (so
      // `--import tsx` preloads run in workers) while skipping process-wide flags such as
      // --max-old-space-size, which an explicit execArgv list would reject (ERR_WORKER_INVALID_EXEC_ARGV).
      execArgv: undefined,
      ...(config.resourceLimits === null ? {} : { resourceLimits: config.resourceLimits }),
      // 'disabled': an idle worker must keep running its event loop (timers a task left behind,
      // and their uncaught errors), not block in Atomics.wait between tasks
      atomics: 'disabled',
      maxQueue: Number.POSITIVE_INFINITY,
    });
    // A worker that dies between tasks (e.g. a timer left by a task throws) has no task to reject:
    // piscina then emits 'error'. The pool replaces the worker; without a listener the emit would
    // throw in the parent and take the whole program down.
    const created = pool;
    pool.on('error', (error: unknown) => {
      const h = healthOf(created);
      if (h.proven) return;
      // dying before any batch completed: with this configuration no worker can run anything
      if (pools.get(key) === created) pools.delete(key);
      const reason = (error as { message?: unknown } | null)?.message;
      const broken = new Error(
        messages.cannotStart(JSON.stringify(config.resourceLimits ?? {}), String(reason ?? error)),
        { cause: error },
      );
      for (const fail of [...h.onBroken]) fail(broken);
      h.onBroken.clear();
      void created.destroy().catch(() => {});
    });
    pools.set(key, pool);
  }
  return pool;
}

type Balancer = NonNullable<ConstructorParameters<typeof Piscina>[0]>['loadBalancer'];

/**
 * Several batches per thread (batchesPerThread > 1). piscina's own balancer never puts a batch
 * on a thread running one that can be aborted, and every batch here can be: this one does (an
 * idle thread first, then a new one while the pool may grow, then the least busy). Stopping a
 * batch terminates its thread, so the batches sharing it fail as on a crash: their caller's
 * retries apply (a remote worker's driver sends them again).
 */
function sharingBalancer(threads: number, perThread: number): Balancer {
  return (_task, workers) => {
    let best: (typeof workers)[number] | null = null;
    let bestUsage = perThread;
    for (const worker of workers) {
      // piscina reports a thread running one abortable batch as full (Infinity): it runs one
      const usage = worker.isRunningAbortableTask ? 1 : worker.currentUsage;
      if (usage === 0) return worker;
      if (usage < bestUsage) {
        best = worker;
        bestUsage = usage;
      }
    }
    // null makes piscina start a thread when it may
    return workers.length < threads ? null : best;
  };
}

/**
 * Gives batches waiting in `pool`'s queue a thread again. piscina (minThreads 0) does not replace a
 * thread it stopped for an abort or lost to a crash; when every thread went at once, a batch still
 * in its queue (another call's, on the shared pool) would wait forever. piscina starts a thread
 * only when a task is submitted, so a no-op task submitted while work waits makes it start one,
 * and that thread, once ready, starts as many more as the queue needs.
 */
export function keepStaffed(pool: WorkerPool): void {
  if (pool.queueSize === 0 || pool.threads.length >= pool.options.maxThreads) return;
  // the no-op cannot fail but for a pool destroyed meanwhile, which has nothing left to staff
  pool.run(undefined as unknown as WorkerTask, { name: WAKE }).catch(() => {});
}

/** Stops every shared pool's workers (tests, explicit cleanup). Running batches fail; later calls start new pools. */
export async function shutdownWorkerThreadsPools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((pool) => pool.destroy()));
}

/** How many shared pools exist (for tests and diagnostics). */
export function workerThreadsPoolCount(): number {
  return pools.size;
}
