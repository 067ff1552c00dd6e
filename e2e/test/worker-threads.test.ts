/** The worker-threads backend (parajob's default) in real Node processes, run as users run them. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const FIXTURES = fileURLToPath(new URL('../fixtures/worker-threads/', import.meta.url));

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `node ...args` in the fixtures folder; a process still alive after 30 s is killed (and the test fails). */
function node(args: string[]): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: FIXTURES, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

describe('worker-threads in real processes', () => {
  it('a script that never calls close() exits on its own once its work is done', async () => {
    const out = await node(['no-close.mjs']);
    expect(out.stderr).toBe('');
    expect(out.signal).toBeNull();
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual({
      backend: 'worker-threads',
      values: [1, 8, 27, 64, 125, 216],
      onWorkerThreads: true,
    });
  });

  it('runs a .ts task module on worker threads under `node --import tsx main.ts`', async () => {
    const out = await node(['--import', 'tsx', 'main.ts']);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual({ values: [5, 10, 13], onWorkerThreads: true });
  });
});
