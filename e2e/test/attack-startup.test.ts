/**
 * Startup of `parajob worker nats|grpc` with bad flags: every error names the flag, exits
 * non-zero, and leaves nothing open (the process ends by itself; a worker that cannot serve
 * never looks alive to a supervisor). And --help describes every flag with its default.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { NatsServer, natsServerAvailable } from '@parajob/nats/testing';
import { WORKER_FLAGS } from '@parajob/remote';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../packages/cli/dist/bin.js', import.meta.url));

function worker(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, 'worker', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  // a hang guard only: every case here must end by itself
  const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr });
    }),
  );
}

describe.skipIf(!natsServerAvailable())('worker startup errors name the flag and exit', () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await NatsServer.start();
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it.each([
    [['nats', '--servers', 'URL', '--root', '/missing/project'], '--root /missing/project', 2],
    [['nats', '--servers', 'URL', '--allow', './src/**'], '--allow "./src/**"', 2],
    [
      ['nats', '--servers', 'URL', '--tls-ca', '/missing/ca.pem'],
      '--tls-ca /missing/ca.pem cannot be read',
      2,
    ],
    [['nats', '--servers', 'nats://127.0.0.1:1'], '--servers nats://127.0.0.1:1', 1],
    [['nats', '--servers', 'URL', '--concurrency', '0'], '--concurrency must be a positive integer', 2],
    [['nats'], '--servers URL is required', 2],
    [['grpc', '--listen', '0', '--root', '/missing/project'], '--root /missing/project', 2],
    [
      ['grpc', '--listen', '0', '--tls-cert', '/missing/c.pem', '--tls-key', '/missing/k.pem'],
      '--tls-cert /missing/c.pem cannot be read',
      2,
    ],
    [['grpc', '--listen', '0', '--tls-cert', 'c.pem'], '--tls-cert and --tls-key go together', 2],
    [['grpc', '--listen', 'nowhere'], '--listen must be PORT or HOST:PORT', 2],
    [['grpc', '--listen', '0', '--bogus'], "unknown option '--bogus'", 2],
    [
      ['grpc', '--listen', '0', '--max-tasks-per-worker', '0'],
      "--max-tasks-per-worker must be a positive integer, got '0'",
      2,
    ],
    [
      ['nats', '--servers', 'URL', '--max-memory-per-worker', '1.5'],
      "--max-memory-per-worker must be a positive integer, got '1.5'",
      2,
    ],
    [
      ['nats', '--servers', 'URL', '--idle-timeout', '-1'],
      "--idle-timeout must be a non-negative integer, got '-1'",
      2,
    ],
    [
      ['grpc', '--listen', '0', '--idle-timeout=-1'],
      "--idle-timeout must be a non-negative integer, got '-1'",
      2,
    ],
    [['grpc', '--listen', '192.0.2.1:0'], '--listen 192.0.2.1:0: could not listen there', 1],
  ])('%j', async (args, message, code) => {
    const r = await worker(args.map((a) => (a === 'URL' ? server.url : a)));
    expect(r.stderr).toContain(message);
    expect(r.code).toBe(code);
    if (code === 2) expect(r.stderr).toMatch(/--help' for the options\n$/);
  });

  it.each(['nats', 'grpc'])('worker %s --help describes every shared flag and its default', async (kind) => {
    const r = await worker([kind, '--help']);
    expect(r.code).toBe(0);
    for (const flag of WORKER_FLAGS) expect(r.stdout).toContain(`--${flag.name}`);
    expect(r.stdout).toContain('--tls-ca');
    expect(r.stdout).toContain('(default: 10000)');
  });
});
