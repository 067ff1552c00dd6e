/** Starts `parajob worker nats` processes (the real CLI) for the NATS end-to-end tests. */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../packages/cli/dist/bin.js', import.meta.url));
export const NATS_FIXTURES = fileURLToPath(new URL('../fixtures/nats/', import.meta.url));

export interface CliWorker {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

/** Spawns a worker and resolves once it has registered (its "ready" line). */
export function startCliWorker(args: string[], cwd = NATS_FIXTURES): Promise<CliWorker> {
  const child = spawn(process.execPath, [CLI, 'worker', 'nats', ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    // the "ready (ID, N slot(s))" line comes on stdout once the worker has registered
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('ready (')) resolve({ child, exited, stderr: () => err });
    });
    void exited.then(({ code, signal }) =>
      reject(new Error(`worker exited (${code ?? signal}) before it was ready:\n${err}`)),
    );
  });
}

export async function stopCliWorker(w: CliWorker): Promise<void> {
  if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
  await w.exited;
}
