import { Parallel, type ParallelOptions } from '@parajob/core';
import { ChildProcessBackend, type ChildProcessBackendOptions } from '../src/index.js';

/** A Parallel on a fresh ChildProcessBackend instance (pools are shared between instances). */
export function parallel(
  options: ParallelOptions = {},
  backendOptions: ChildProcessBackendOptions = {},
): Parallel {
  return new Parallel({ nJobs: 2, backend: new ChildProcessBackend(backendOptions), ...options });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits (bounded) until the process is gone; SIGKILLed processes take a moment to be reaped. */
export async function waitGone(pid: number, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !isAlive(pid);
}

/** Waits (bounded) until at least one of the processes is gone. */
export async function someGone(pids: readonly number[], ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (pids.some((p) => !isAlive(p))) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return pids.some((p) => !isAlive(p));
}
