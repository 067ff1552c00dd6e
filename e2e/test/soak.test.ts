/**
 * A short sample of the fault-injection soak (bench/soak, `npm run soak -- --runs N` for a long
 * one): random misbehaving tasks, aborts, early iterator exits, concurrent calls on the shared
 * pools and parent exits, on worker-threads and child-process; every run checked. Zero problems
 * allowed. The NATS part (worker SIGKILLs, nats-server restarts) runs in `npm run soak` only: it
 * still finds failures there (bench/RESULTS.md), which would make this sample flaky.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SOAK = fileURLToPath(new URL('../../bench/soak/run.mjs', import.meta.url));

interface SoakStats {
  runs: number;
  hangs: number;
  leaks: number;
  untypedErrors: number;
  wrongResults: number;
  wrongErrors: number;
  problems: string[];
  byBackend: Record<string, number>;
}

function soak(args: string[]): Promise<{ code: number | null; stats: SoakStats; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SOAK, ...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.once('error', reject);
    child.once('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      try {
        resolve({ code, stats: JSON.parse(line) as SoakStats, stderr: err });
      } catch {
        reject(new Error(`the soak printed no summary (exit ${code}):\n${out}\n${err.slice(-4000)}`));
      }
    });
  });
}

describe('fault-injection soak (sample)', () => {
  it('40 random runs on worker-threads and child-process: no hang, leak, untyped error or wrong result', async () => {
    const seed = process.env.PARAJOB_SOAK_SEED ?? '11';
    const { code, stats } = await soak([
      '--runs',
      '40',
      '--max-seconds',
      '60',
      '--seed',
      seed,
      '--exit-every',
      '20',
      '--backends',
      'worker-threads,child-process',
    ]);
    expect(stats.problems, `seed ${seed}`).toEqual([]);
    expect(stats).toMatchObject({ hangs: 0, leaks: 0, untypedErrors: 0, wrongResults: 0, wrongErrors: 0 });
    expect(stats.runs).toBeGreaterThan(0);
    expect(stats.byBackend['parent-exit']).toBeGreaterThan(0);
    expect(code).toBe(0);
  }, 180_000);
});
