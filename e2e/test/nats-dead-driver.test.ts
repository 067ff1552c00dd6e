/**
 * A driver that is gone leaves nothing behind, against a real nats-server and real workers: a
 * driver process SIGKILLed mid-call (its queued batches are dropped by the workers once its
 * session record expires, its large values deleted), and a script that exits right after
 * `run()` by `process.exit()` without closing anything (nothing of its call left, at once).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { delayed, Parallel } from '@parajob/core';
import { NatsBackend } from '@parajob/nats';
import { natsServerAvailable } from '@parajob/nats/testing';
import { describe, expect, it } from 'vitest';
import { markedSquare } from '../fixtures/nats/tasks.mjs';
import { natsTestEnvironment } from '../helpers/nats-env.js';
import {
  blobsAfterCleanup,
  queueAfterDrain,
  queuedBatches,
  storedBlobs,
  workersConsumer,
} from '../helpers/nats-state.js';
import { NATS_FIXTURES } from '../helpers/nats-workers.js';

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
  const env = natsTestEnvironment();

  it('a driver SIGKILLed mid-call: workers drop its queued batches, its large values are deleted, the worker serves on', {
    timeout: 180_000,
  }, async () => {
    const ns = 'vanish';
    await env.worker(ns, ['--concurrency', '1']);
    const dir = env.markers();
    const driver = spawnDriver(['vanish', env.server.url, ns, dir]);
    // 40 batches of 1 s each queued on one slot; kill the driver once the first one runs
    while (readdirSync(dir).length === 0) {
      if (driver.child.exitCode !== null) throw new Error(`the driver exited early:\n${driver.output()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await queuedBatches(env.server.url, ns)).toBeGreaterThan(30);
    driver.child.kill('SIGKILL');
    await driver.exited;
    // had the batches run, the queue would take about 40 s to empty, with all 40 started
    expect(await queueAfterDrain(env.server.url, ns, 120_000)).toBe(0);
    const started = readdirSync(dir).filter((f) => f.endsWith('.start')).length;
    expect(started).toBeLessThan(40);
    expect(await blobsAfterCleanup(env.server.url, ns, 60_000)).toEqual([]);
    // the worker still serves a live driver
    const backend = new NatsBackend({ servers: env.server.url, namespace: ns });
    expect(await new Parallel({ backend, nJobs: 1 }).run([delayed(markedSquare)(5, 1, null)])).toEqual([25]);
    await backend.terminate();
  });

  it('a script that exits by process.exit() right after run(), without closing: nothing of its call is left', {
    timeout: 120_000,
  }, async () => {
    const ns = 'quickexit';
    await env.worker(ns, ['--concurrency', '2']);
    const driver = spawnDriver(['exit', env.server.url, ns]);
    expect(await driver.exited).toBe(0);
    expect(driver.output()).toContain('DONE [100000,100001]');
    // read at once: the driver's session record lives 10 s past its exit, so no worker's sweep
    // can have deleted them yet; run() settled only after its call's values were deleted
    expect(await storedBlobs(env.server.url, ns)).toEqual([]);
    expect(await queuedBatches(env.server.url, ns)).toBe(0);
  });

  it('a live driver whose event loop stalls past its record TTL still gets every result (dropped batches are sent again)', {
    timeout: 120_000,
  }, async () => {
    const ns = 'stall';
    await env.worker(ns, ['--concurrency', '1']);
    const driver = spawnDriver(['stall', env.server.url, ns]);
    expect(await driver.exited).toBe(0);
    expect(driver.output()).toContain(`DONE ${JSON.stringify(Array.from({ length: 8 }, (_, x) => x * x))}`);
    // workers did drop batches while the driver was silent (more than 8 batches were published):
    // the resends are what saved them
    expect((await workersConsumer(env.server.url, ns)).delivered.stream_seq).toBeGreaterThan(8);
    expect(await queueAfterDrain(env.server.url, ns, 10_000)).toBe(0);
  });
});
