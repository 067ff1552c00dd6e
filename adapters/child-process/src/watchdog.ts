/**
 * Orphan guard for worker processes. The main thread exits on the IPC channel's 'disconnect',
 * which the kernel triggers when the parent dies (even by SIGKILL) — but only once the main
 * thread is free: a task stuck in a CPU loop would keep an orphan alive. This thread watches
 * the parent pid on its own event loop and kills the process when it has been re-parented.
 * Checking a pid twice a second is the only portable signal that needs no cooperation from
 * either the dead parent or the busy main thread (Linux's PR_SET_PDEATHSIG needs native code).
 */
import { Worker } from 'node:worker_threads';

const WATCH_MS = 500;

const source = `
const { workerData } = require('node:worker_threads');
setInterval(() => {
  if (process.ppid !== workerData.parent) process.kill(process.pid, 'SIGKILL');
}, workerData.every);
`;

export function watchParent(parent: number = process.ppid): Worker {
  const worker = new Worker(source, {
    eval: true,
    workerData: { parent, every: WATCH_MS },
    stdout: false,
    stderr: false,
  });
  // never what keeps the worker process alive
  worker.unref();
  return worker;
}
