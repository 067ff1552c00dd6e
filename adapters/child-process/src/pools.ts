/**
 * The process-wide registry of pools, keyed by how their workers start: a backend with the same
 * flags, environment and idle timeout reuses the pool (and its warm workers) of any other.
 */
import { CallCancelledError } from '@parajob/core/backend';
import { messages } from './messages.js';
import { NO_LIMITS, type WorkerLimits } from './options.js';
import { ProcessPool } from './pool.js';
import type { WorkerSpec } from './worker.js';

const pools = new Map<string, ProcessPool>();

export function poolKey(spec: WorkerSpec, idleTimeout: number, limits: WorkerLimits = NO_LIMITS): string {
  const env = Object.entries(spec.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  // Infinity is not JSON: the limits enter the key as strings
  return JSON.stringify([
    spec.execArgv,
    env,
    idleTimeout,
    String(limits.maxTasks),
    String(limits.maxRssBytes),
  ]);
}

export function acquirePool(
  spec: WorkerSpec,
  idleTimeout: number,
  key = poolKey(spec, idleTimeout),
  limits: WorkerLimits = NO_LIMITS,
): ProcessPool {
  let pool = pools.get(key);
  if (pool === undefined) {
    pool = new ProcessPool(
      key,
      spec,
      idleTimeout,
      (empty) => {
        if (pools.get(empty.key) === empty) pools.delete(empty.key);
      },
      limits,
    );
    pools.set(key, pool);
  }
  return pool;
}

/** The pools alive now (tests and diagnostics). */
export function livePools(): ProcessPool[] {
  return [...pools.values()];
}

/** Stops every worker process of every pool (their running calls fail); pools start again on demand. */
export async function shutdownPools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((pool) => pool.shutdown(new CallCancelledError(messages.cancelled()))));
}

// workers never outlive the parent: kill them as it exits (they also watch for its death themselves)
process.once('exit', () => {
  for (const pool of pools.values()) pool.killAll();
});
