/**
 * The Node peers, called the way their users call them: one task per message, either through
 * a bounded in-flight window (what their docs recommend for large inputs: piscina's
 * `queueSize`/`drain` back-pressure, tinypool and workerpool alike) or all at once
 * (`Promise.all(items.map((x) => pool.run(x)))`, the README pattern).
 */
import { availableParallelism } from 'node:os';

const peerUrl = (file) => new URL(`../peers/${file}`, import.meta.url).href;

/** The in-flight window used for the peers: 32 tasks per worker. */
export const WINDOW_PER_WORKER = 32;

/** A peer pool of `workers` threads whose `run(arg)` sends one task for `fnName`. */
export async function openPeer(lib, fnName, workers) {
  // imported on demand: a cold-start measurement of one peer must not load the others
  if (lib === 'piscina' || lib === 'piscina-async') {
    const { default: Piscina } = await import('piscina');
    const pool = new Piscina({
      filename: peerUrl(`${kebab(fnName)}.mjs`),
      minThreads: workers,
      maxThreads: workers,
      // piscina's default is atomics: 'sync' (an idle worker blocks in Atomics.wait); 'async'
      // waits with Atomics.waitAsync, so a worker's event loop keeps running between tasks
      atomics: lib === 'piscina-async' ? 'async' : 'sync',
    });
    return { run: (arg) => pool.run(arg), close: () => pool.destroy() };
  }
  if (lib === 'poolifier') {
    const { FixedThreadPool } = await import('poolifier');
    const pool = new FixedThreadPool(workers, fileUrlPath(peerUrl('poolifier-worker.mjs')));
    // no wait for its 'ready' event: tasks submitted before it are queued (the warm-up does that)
    // destroy() sometimes never settles on a loaded machine (poolifier 5.3.2): after 5 s the
    // threads are terminated directly, so the measurement taken before stands and the process exits
    const close = async () => {
      let timer;
      const stuck = new Promise((resolve) => {
        timer = setTimeout(resolve, 5000, 'stuck');
      });
      const outcome = await Promise.race([pool.destroy(), stuck]);
      clearTimeout(timer);
      if (outcome === 'stuck') {
        console.error('poolifier: pool.destroy() did not settle within 5 s; terminating its threads');
        await Promise.all(pool.workerNodes.map((node) => node.worker.terminate()));
      }
    };
    return { run: (arg) => pool.execute(arg, fnName), close };
  }
  if (lib === 'tinypool') {
    const { default: Tinypool } = await import('tinypool');
    const pool = new Tinypool({
      filename: peerUrl(`${kebab(fnName)}.mjs`),
      minThreads: workers,
      maxThreads: workers,
    });
    return { run: (arg) => pool.run(arg), close: () => pool.destroy() };
  }
  if (lib === 'workerpool') {
    const { default: workerpool } = await import('workerpool');
    const pool = workerpool.pool(fileUrlPath(peerUrl('workerpool-worker.mjs')), {
      minWorkers: workers,
      maxWorkers: workers,
      workerType: 'thread',
    });
    // burn takes (iters, seed) positionally through workerpool's exec
    const run =
      fnName === 'burn'
        ? (arg) => pool.exec('burn', [arg.iters, arg.seed])
        : (arg) => pool.exec(fnName, [arg]);
    return { run, close: () => pool.terminate() };
  }
  throw new Error(`unknown peer ${lib}`);
}

function kebab(name) {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function fileUrlPath(url) {
  return new URL(url).pathname;
}

/** Runs `submit(i)` for i < n with at most `limit` in flight; results in input order. */
export async function windowed(n, limit, submit) {
  const out = new Array(n);
  let next = 0;
  const lane = async () => {
    while (next < n) {
      const i = next++;
      out[i] = await submit(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, lane));
  return out;
}

/** Runs all n submissions at once. */
export function allAtOnce(n, submit) {
  return Promise.all(Array.from({ length: n }, (_, i) => submit(i)));
}

export function cores() {
  return availableParallelism();
}
