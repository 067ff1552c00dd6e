/**
 * Orphan guard for worker processes. The main thread exits on the IPC channel's 'disconnect',
 * which the kernel triggers when the parent dies (even by SIGKILL) — but only once the main
 * thread is free: a task stuck in a CPU loop would keep an orphan alive, and the call's folder of
 * large buffers would outlive both. This thread watches the parent pid on its own event loop and,
 * once the process has been re-parented, deletes the dead parent's call folders (those the main
 * thread read buffers from, and every `parajob-<parent pid>-*` folder in the temp folders) and
 * kills the process. Checking a pid twice a second is the only portable signal that needs no
 * cooperation from either the dead parent or the busy main thread (Linux's PR_SET_PDEATHSIG needs
 * native code).
 */
import { Worker } from 'node:worker_threads';
import { tempFolderBases } from './temp-folder.js';

const WATCH_MS = 500;

// plain CommonJS evaluated in the thread: no module of ours to load in every worker process
const source = `
const { workerData, parentPort } = require('node:worker_threads');
const { readdirSync, rmSync } = require('node:fs');
const { join } = require('node:path');
const folders = new Set();
parentPort.on('message', ({ add, remove }) => {
  if (add) folders.add(add);
  if (remove) folders.delete(remove);
});
function removeParentFolders() {
  const prefix = 'parajob-' + workerData.parent + '-';
  for (const base of workerData.bases) {
    let names = [];
    try { names = readdirSync(base); } catch {}
    for (const name of names) if (name.startsWith(prefix)) folders.add(join(base, name));
  }
  for (const folder of folders) {
    try { rmSync(folder, { recursive: true, force: true }); } catch {}
  }
}
setInterval(() => {
  if (process.ppid === workerData.parent) return;
  removeParentFolders();
  process.kill(process.pid, 'SIGKILL');
}, workerData.every);
`;

/** The watchdog thread; tell it the call folders this process reads from (`watchFolder`). */
export interface Watchdog {
  watchFolder(folder: string): void;
  forgetFolder(folder: string): void;
}

export function watchParent(parent: number = process.ppid): Watchdog {
  const worker = new Worker(source, {
    eval: true,
    workerData: { parent, every: WATCH_MS, bases: tempFolderBases() },
    stdout: false,
    stderr: false,
  });
  // never what keeps the worker process alive
  worker.unref();
  return {
    watchFolder: (folder) => worker.postMessage({ add: folder }),
    forgetFolder: (folder) => worker.postMessage({ remove: folder }),
  };
}
