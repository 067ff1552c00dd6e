/**
 * A driver that is gone leaves nothing behind, against a real nats-server and real workers: a
 * driver process SIGKILLed mid-call (its queued batches are dropped by the workers once its
 * session record expires, its large values deleted), and a script that exits right after
 * `run()` without closing anything (its large values deleted).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { delayed, Parallel } from '@parajob/core';
import { NatsBackend } from '@parajob/nats';
import { NatsServer, natsServerAvailable } from '@parajob/nats/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { markedSquare } from '../fixtures/nats/tasks.mjs';
import { eventually, queuedBatches, storedBlobs } from '../helpers/nats-state.js';
import { type CliWorker, NATS_FIXTURES, startCliWorker, stopCliWorker } from '../helpers/nats-workers.js';

const DRIVER = join(NATS_FIXTURES, 'driver.mjs');

function spawnDriver(args: string[]): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  const child = spawn(process.execPath, [DRIVER, ...args], {
    cwd: NATS_FIXTURES,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

describe.runIf(natsServerAvailable())('nats: dead drivers leave nothing behind', () => {
  let server: NatsServer;
  let workers: CliWorker[] = [];
  let dirs: string[] = [];

  beforeAll(async () => {
    server = await NatsServer.start();
  });
  afterEach(async () => {
    await Promise.all(workers.map(stopCliWorker));
    workers = [];
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    dirs = [];
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it('a driver SIGKILLed mid-call: workers drop its queued batches, its large values are deleted, the worker serves on', {
    timeout: 180_000,
  }, async () => {
    const ns = 'vanish';
    const w = await startCliWorker(['--servers', server.url, '--namespace', ns, '--concurrency', '1']);
    workers.push(w);
    const dir = mkdtempSync(join(tmpdir(), 'parajob-nats-markers-'));
    dirs.push(dir);
    const driver = spawnDriver(['vanish', server.url, ns, dir]);
    // 40 batches of 1 s each queued on one slot; kill the driver once the first one runs
    while (readdirSync(dir).length === 0) {
      if (driver.child.exitCode !== null) throw new Error(`the driver exited early:\n${driver.output()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await queuedBatches(server.url, ns)).toBeGreaterThan(30);
    driver.child.kill('SIGKILL');
    await driver.exited;
    // had the batches run, the queue would take about 40 s to empty, with all 40 started
    expect(
      await eventually(
        () => queuedBatches(server.url, ns),
        (n) => n === 0,
        120_000,
      ),
    ).toBe(0);
    const started = readdirSync(dir).filter((f) => f.endsWith('.start')).length;
    expect(started).toBeLessThan(40);
    expect(
      await eventually(
        () => storedBlobs(server.url, ns),
        (names) => names.length === 0,
        60_000,
      ),
    ).toEqual([]);
    // the worker still serves a live driver
    const backend = new NatsBackend({ servers: server.url, namespace: ns });
    expect(await new Parallel({ backend, nJobs: 1 }).run([delayed(markedSquare)(5, 1, null)])).toEqual([25]);
    await backend.terminate();
  });

  it('a script that exits right after run() without closing: its large values are deleted', {
    timeout: 120_000,
  }, async () => {
    const ns = 'quickexit';
    workers.push(await startCliWorker(['--servers', server.url, '--namespace', ns, '--concurrency', '2']));
    const driver = spawnDriver(['exit', server.url, ns]);
    expect(await driver.exited).toBe(0);
    expect(driver.output()).toContain('DONE [100000,100001]');
    expect(
      await eventually(
        () => storedBlobs(server.url, ns),
        (names) => names.length === 0,
        60_000,
      ),
    ).toEqual([]);
  });
});
