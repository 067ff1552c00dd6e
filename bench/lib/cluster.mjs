/**
 * A local NATS cluster for the distributed workload: one nats-server with JetStream (file
 * storage in a temp dir, loopback only, a free port) and two parajob workers started with the
 * CLI, alive across that workload's measurements and stopped afterwards.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { benchDir, repoDir } from './machine.mjs';

export const cliBin = join(repoDir, 'packages', 'cli', 'dist', 'bin.js');

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export async function waitForPort(port, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const ok = await new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`nothing listened on port ${port} within ${ms} ms`);
}

/** Starts nats-server and `workers` CLI workers; resolves to `{ servers, stop() }`. */
export async function startCluster(natsServerBin, { workers = 2 } = {}) {
  if (!existsSync(cliBin)) throw new Error(`the CLI is not built (${cliBin} missing)`);
  const store = mkdtempSync(join(tmpdir(), 'parajob-bench-nats-'));
  const port = await freePort();
  const children = [];
  const server = spawn(natsServerBin, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', store], {
    stdio: 'ignore',
  });
  children.push(server);
  const stop = async () => {
    for (const child of children.reverse()) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await Promise.race([exited, sleep(5000).then(() => child.kill('SIGKILL'))]);
      }
    }
    rmSync(store, { recursive: true, force: true });
  };
  try {
    await waitForPort(port, 10_000);
    const servers = `nats://127.0.0.1:${port}`;
    const logs = [];
    for (let i = 0; i < workers; i++) {
      // started in bench/, so the bench's own task module is what the worker allows by default
      const worker = spawn(
        process.execPath,
        [cliBin, 'worker', 'nats', '--servers', servers, '--concurrency', '1'],
        {
          cwd: benchDir,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      const log = { text: '' };
      logs.push(log);
      worker.stdout.on('data', (d) => (log.text += d));
      worker.stderr.on('data', (d) => (log.text += d));
      children.push(worker);
    }
    // a worker is ready once it has registered its capacity; give them a moment, then check they live
    await sleep(1500);
    for (const [i, worker] of children.slice(1).entries()) {
      if (worker.exitCode !== null)
        throw new Error(`worker ${i + 1} exited: ${logs[i].text.trim().slice(-300)}`);
    }
    return { servers, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
