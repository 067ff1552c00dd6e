/**
 * Runs one scenario as a call of this process (worker-threads or child-process, on their shared
 * pools), with a hang guard, and kills `awaitKill` tasks' workers from outside.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChildProcessBackend } from '@parajob/child-process';
import { WorkerThreadsBackend } from '@parajob/worker-threads';
import { delayed, Parallel } from 'parajob';
import { LARGE, SoakAbort } from './scenario.mjs';
import * as tasks from './tasks.mjs';

/** Recycling and memory limits are part of every soak pool: they are exercised all along. */
const LIMITS = { maxMemoryPerWorker: 128, maxTasksPerWorker: 25 };
export const HANG_MS = 60_000;
const large = new Float64Array(LARGE).fill(1);

export function makeBackend(name) {
  return name === 'worker-threads' ? new WorkerThreadsBackend(LIMITS) : new ChildProcessBackend(LIMITS);
}

export function taskList(s, killDir) {
  return s.kinds.map((kind, i) => {
    if (kind === 'ok') return delayed(tasks.ok)(i, s.sleeps[i], s.large ? large : null);
    if (kind === 'awaitKill') return delayed(tasks.awaitKill)(i, killDir);
    return delayed(tasks.FAILING[kind])(i);
  });
}

/** Consumes the call as the scenario says; resolves to its outcome (never rejects). */
export async function consume(s, parallel, list, controller) {
  try {
    if (s.mode === 'settled') return { value: await parallel.runSettled(list) };
    if (s.mode === 'iter') {
      const values = [];
      try {
        if (s.take > 0) {
          for await (const v of parallel.iter(list)) {
            values.push(v);
            if (values.length >= s.take) break;
          }
        }
        return { values };
      } catch (error) {
        return { values, error };
      }
    }
    if (s.mode === 'abort') {
      const timer = setTimeout(
        () => controller.abort(new SoakAbort('the soak aborts the call')),
        s.abortAfter,
      );
      try {
        return { value: await parallel.run(list) };
      } finally {
        clearTimeout(timer);
      }
    }
    return { value: await parallel.run(list) };
  } catch (error) {
    return { error };
  }
}

/** SIGKILLs, from outside, the worker of each awaitKill task once it has written its pid. */
function killer(dir) {
  const killed = new Set();
  const timer = setInterval(() => {
    for (const name of readdirSync(dir)) {
      if (killed.has(name)) continue;
      killed.add(name);
      try {
        process.kill(Number(name.split('.')[1]), 'SIGKILL');
      } catch {
        // already gone (its call was stopped meanwhile)
      }
    }
  }, 20);
  return () => clearInterval(timer);
}

/** Runs the scenario; `{ outcome }`, or `{ hang: true }` when it did not settle within HANG_MS. */
export async function runLocal(s) {
  const killDir = s.kinds.includes('awaitKill') ? mkdtempSync(join(tmpdir(), 'parajob-soak-kill-')) : null;
  const stopKiller = killDir ? killer(killDir) : () => {};
  const controller = new AbortController();
  const parallel = new Parallel({
    nJobs: 2,
    backend: makeBackend(s.backend),
    batchSize: s.batchSize,
    timeout: s.timeout,
    maxNbytes: '1M',
    signal: controller.signal,
  });
  let guard;
  const hang = new Promise((resolve) => {
    guard = setTimeout(() => resolve({ hang: true }), HANG_MS);
  });
  try {
    const result = await Promise.race([
      consume(s, parallel, taskList(s, killDir), controller).then((outcome) => ({ outcome })),
      hang,
    ]);
    if (!result.hang) await Promise.race([parallel.close(), hang]);
    return result;
  } finally {
    clearTimeout(guard);
    stopKiller();
    if (killDir) rmSync(killDir, { recursive: true, force: true });
  }
}
