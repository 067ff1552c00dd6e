/** Real worker processes on free loopback ports (port 0), stopped after the tests. */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { GrpcWorkerOptions } from '../src/index.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/worker.mjs', import.meta.url));
/** The package itself is the project root: @parajob/core resolves from its node_modules. */
export const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface WorkerProcess {
  readonly address: string;
  readonly child: ChildProcess;
  stderr(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const started = new Set<WorkerProcess>();

export function startWorkerProcess(
  options: Omit<GrpcWorkerOptions, 'log' | 'tls'> & { tls?: { cert: string; key: string; ca?: string } } = {},
): Promise<WorkerProcess> {
  const child = spawn(
    process.execPath,
    [FIXTURE, JSON.stringify({ listen: '127.0.0.1:0', root: PACKAGE_ROOT, ...options })],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d;
      const m = /listening on (\S+)/.exec(out);
      if (!m) return;
      child.stdout!.off('data', onData);
      const worker: WorkerProcess = {
        address: m[1]!,
        child,
        stderr: () => err,
        async stop(signal = 'SIGTERM') {
          started.delete(worker);
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
      };
      started.add(worker);
      resolve(worker);
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`worker exited with ${code} before listening:\n${err}`)));
  });
}

export async function stopAllWorkers(): Promise<void> {
  await Promise.all([...started].map((w) => w.stop('SIGKILL')));
}
