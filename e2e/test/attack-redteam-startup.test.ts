/**
 * Red-team startup cases for `parajob worker nats|grpc`: a --concurrency no host could serve (it
 * used to leave a NATS worker hanging with its connection open after a raw "Invalid array
 * length", and to make a gRPC worker grant every session unbounded credit), and TLS files that
 * exist but are not what their flag says (a gRPC worker blamed --listen at bind time, a NATS
 * worker blamed --servers at handshake time). Each must name its flag and exit by itself.
 */
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NatsServer, natsServerAvailable } from '@parajob/nats/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCerts, type TestCerts } from '../fixtures/grpc/workers.js';

const CLI = fileURLToPath(new URL('../../packages/cli/dist/bin.js', import.meta.url));

function worker(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [CLI, 'worker', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  // a hang guard only: every case here must end by itself (a killed child fails the exit code check)
  const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(guard);
      resolve({ code, stderr });
    }),
  );
}

describe.skipIf(!natsServerAvailable())('worker startup: values no worker can serve name their flag', () => {
  let server: NatsServer;
  let certs: TestCerts;
  let junk: string;
  beforeAll(async () => {
    server = await NatsServer.start();
    certs = makeCerts();
    junk = join(certs.dir, 'junk.pem');
    writeFileSync(junk, 'not a certificate\n');
  });
  afterAll(async () => {
    await server?.dispose();
    if (certs) rmSync(certs.dir, { recursive: true, force: true });
  });

  const nats = () => ['nats', '--servers', server.url, '--namespace', 'redteam-startup'];
  const grpc = () => ['grpc', '--listen', '127.0.0.1:0'];

  it.each([
    ['nats', '99999999999'],
    ['nats', '1025'],
    ['grpc', '99999999999'],
  ])('worker %s --concurrency %s exits naming --concurrency', async (kind, n) => {
    const r = await worker([...(kind === 'nats' ? nats() : grpc()), '--concurrency', n]);
    expect(r.stderr).toContain(`--concurrency must be a positive integer, at most 1024`);
    expect(r.code).toBe(2);
  });

  it.each([
    ['grpc', 'cert', '--tls-cert', 'is not a PEM certificate'],
    ['grpc', 'key', '--tls-key', 'is not a PEM private key'],
    ['grpc', 'ca', '--tls-ca', 'is not a PEM CA certificate'],
    ['grpc', 'mismatch', '--tls-key', 'is not the private key of --tls-cert'],
    ['nats', 'ca', '--tls-ca', 'is not a PEM CA certificate'],
    ['nats', 'cert', '--tls-cert', 'is not a PEM certificate'],
  ])('worker %s with a bad %s file names %s', async (kind, bad, flag, message) => {
    const cert = bad === 'cert' ? junk : certs.serverCert;
    const key = bad === 'key' ? junk : bad === 'mismatch' ? certs.clientKey : certs.serverKey;
    const tls = ['--tls-cert', cert, '--tls-key', key];
    if (bad === 'ca') tls.push('--tls-ca', junk);
    if (kind === 'grpc' && bad === 'ca') tls.push('--tls-require-client-cert');
    const r = await worker([...(kind === 'nats' ? nats() : grpc()), ...tls]);
    expect(r.stderr).toContain(`${flag} `);
    expect(r.stderr).toContain(message);
    expect(r.code).toBe(2);
  });
});
