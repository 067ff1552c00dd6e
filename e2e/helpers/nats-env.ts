/**
 * The usual setup of a NATS end-to-end file: one nats-server for the file, `parajob worker nats`
 * processes and marker directories per test, all stopped or removed after each test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NatsServer } from '@parajob/nats/testing';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { type CliWorker, startCliWorker, stopCliWorker } from './nats-workers.js';

export interface NatsTestEnvironment {
  readonly server: NatsServer;
  /** Starts a worker on the file's server in `namespace`, stopped after the test. */
  worker(namespace: string, extra?: string[]): Promise<CliWorker>;
  /** A fresh directory for markedSquare's marker files, removed after the test. */
  markers(): string;
  /** Stops the test's workers now (SIGTERM). */
  stopWorkers(): Promise<void>;
}

export function natsTestEnvironment(): NatsTestEnvironment {
  let server: NatsServer | undefined;
  let workers: CliWorker[] = [];
  let dirs: string[] = [];
  beforeAll(async () => {
    server = await NatsServer.start();
  });
  const stopWorkers = async () => {
    await Promise.all(workers.map(stopCliWorker));
    workers = [];
  };
  afterEach(async () => {
    await stopWorkers();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    dirs = [];
  });
  afterAll(async () => {
    await server?.dispose();
  });
  return {
    get server() {
      if (server === undefined) throw new Error('the nats-server of this file has not started');
      return server;
    },
    async worker(namespace, extra = []) {
      const w = await startCliWorker(['--servers', this.server.url, '--namespace', namespace, ...extra]);
      workers.push(w);
      return w;
    },
    stopWorkers,
    markers() {
      const dir = mkdtempSync(join(tmpdir(), 'parajob-nats-markers-'));
      dirs.push(dir);
      return dir;
    },
  };
}
