/**
 * A local Redis for the BullMQ comparison: Debian's `redis-server` on a free loopback port, no
 * persistence, and two BullMQ worker processes (`peers/bullmq-worker.mjs`), alive across that
 * workload's measurements and stopped afterwards.
 */
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, waitForPort } from './cluster.mjs';
import { benchDir } from './machine.mjs';

/** The redis-server binary: PARAJOB_BENCH_REDIS_SERVER, else `redis-server` on PATH; null when absent. */
export function findRedisServer() {
  const bin = process.env.PARAJOB_BENCH_REDIS_SERVER ?? 'redis-server';
  try {
    const version = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
    return { bin, version };
  } catch {
    return null;
  }
}

async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(5000).then(() => child.kill('SIGKILL'))]);
}

/** Starts redis-server and `workers` BullMQ worker processes; resolves to `{ redis: { host, port, queue }, stop() }`. */
export async function startRedis(redisBin, { workers = 2, concurrency = 32 } = {}) {
  const port = await freePort();
  const children = [];
  const stop = async () => {
    for (const child of children.reverse()) await stopChild(child);
  };
  try {
    // no persistence: neither RDB snapshots nor an append-only file
    const server = spawn(
      redisBin,
      ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', benchDir],
      { stdio: 'ignore' },
    );
    children.push(server);
    await waitForPort(port, 10_000);
    const redis = { host: '127.0.0.1', port, queue: 'parajob-bench' };
    for (let i = 0; i < workers; i++) {
      const worker = spawn(
        process.execPath,
        [join(benchDir, 'peers', 'bullmq-worker.mjs'), JSON.stringify({ ...redis, concurrency })],
        { stdio: ['ignore', 'pipe', 'inherit'], cwd: benchDir },
      );
      children.push(worker);
      await new Promise((resolve, reject) => {
        worker.stdout.on('data', (d) => String(d).includes('ready') && resolve());
        worker.once('exit', (code) => reject(new Error(`a BullMQ worker exited with code ${code}`)));
      });
    }
    return { redis, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
