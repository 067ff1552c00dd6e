/** Spawns NATS worker processes for tests (real processes, like a deployment). */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { NatsWorkerOptions } from '../src/worker.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/worker.mjs', import.meta.url));

export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  stderr(): string;
}

export function spawnWorker(options: Omit<NatsWorkerOptions, 'log'>, cwd?: string): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [SCRIPT, JSON.stringify(options)], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('READY')) resolve({ child, exited, stderr: () => err });
    });
    void exited.then((code) => reject(new Error(`worker exited (${code}) before it was ready:\n${err}`)));
  });
}

export async function stopWorker(w: WorkerProcess): Promise<void> {
  if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
  await w.exited;
}
