/**
 * NATS authentication and authorization end to end, with real nats-server processes and real
 * `parajob worker nats` workers: user/password, TLS with a private CA (certificates made here with
 * openssl) and mutual TLS, and the driver/worker permissions documented in docs/nats.md, taken
 * from the page itself so the documentation cannot drift from what works.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Objm } from '@nats-io/obj';
import { connect as natsConnect } from '@nats-io/transport-node';
import { delayed, Parallel } from '@parajob/core';
import { NatsBackend, type NatsBackendOptions } from '@parajob/nats';
import { NatsServer, natsServerAvailable } from '@parajob/nats/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeBuffer, markedSquare, sumBuffer } from '../fixtures/nats/tasks.mjs';
import { type CliWorker, startCliWorker, stopCliWorker } from '../helpers/nats-workers.js';

const DOCS = new URL('../../docs/nats.md', import.meta.url);

/** A CA, a server certificate for 127.0.0.1/localhost and a client certificate, all signed by the CA. */
function makeCertificates(dir: string) {
  const f = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=parajob test CA',
  );
  const sign = (name: string, cn: string, ext: string) => {
    writeFileSync(f(`${name}.ext`), ext);
    openssl('req', ...ec, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=${cn}`);
    openssl(
      'x509',
      '-req',
      '-in',
      f(`${name}.csr`),
      '-CA',
      f('ca.pem'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-days',
      '2',
      '-out',
      f(`${name}.pem`),
      '-extfile',
      f(`${name}.ext`),
    );
  };
  sign(
    'server',
    'localhost',
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n',
  );
  sign('client', 'parajob worker', 'keyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n');
  return {
    ca: f('ca.pem'),
    serverCert: f('server.pem'),
    serverKey: f('server.key'),
    clientCert: f('client.pem'),
    clientKey: f('client.key'),
  };
}

/** The `authorization { ... }` block of docs/nats.md's permissions section, as written there. */
function documentedAuthorization(): string {
  const docs = readFileSync(DOCS, 'utf8');
  const section = docs.slice(docs.indexOf('### Permissions for driver and worker users'));
  const block = /```[a-z]*\n(authorization \{[\s\S]*?)```/.exec(section)?.[1];
  if (!block)
    throw new Error(
      'docs/nats.md has no authorization block under "Permissions for driver and worker users"',
    );
  return block;
}

/** Waits (up to 10 s) for a condition; the assertion after it says what was expected. */
async function until(condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
}

describe.runIf(natsServerAvailable())('nats auth', () => {
  let workers: CliWorker[] = [];
  let dir: string;
  const worker = async (args: string[]) => {
    const w = await startCliWorker(args);
    workers.push(w);
    return w;
  };
  const runOne = async (options: NatsBackendOptions, x = 3) => {
    const backend = new NatsBackend(options);
    try {
      return await new Parallel({ backend, nJobs: 2 }).run([delayed(markedSquare)(x, 1, null)]);
    } finally {
      await backend.terminate();
    }
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'parajob-nats-auth-'));
  });
  const stopWorkers = async () => {
    await Promise.all(workers.map(stopCliWorker));
    workers = [];
  };
  afterEach(stopWorkers);
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('user/password: the right user and password run a call; a wrong password gets a clear authorization error', async () => {
    const server = await NatsServer.start({
      config: 'authorization { users = [ { user: alice, password: "wonder-land-7" } ] }',
    });
    try {
      const auth = ['--servers', server.url, '--concurrency', '1'];
      await worker([...auth, '--user', 'alice', '--pass', 'wonder-land-7']);
      expect(await runOne({ servers: server.url, user: 'alice', pass: 'wonder-land-7' })).toEqual([9]);
      await expect(runOne({ servers: server.url, user: 'alice', pass: 'wrong' })).rejects.toThrow(
        /refused the connection: authorization failed .*\{ user, pass \}/,
      );
      await expect(runOne({ servers: server.url, user: 'alice', pass: 'wrong' })).rejects.toMatchObject({
        name: 'NatsConnectError',
        code: 'NATS_AUTHORIZATION',
      });
      // a worker with a wrong password exits 1 saying so, instead of waiting for work forever
      const refused = startCliWorker([...auth, '--user', 'alice', '--pass', 'wrong']);
      await expect(refused).rejects.toThrow(/exited \(1\)[\s\S]*authorization failed .*--user\/--pass/);
    } finally {
      await stopWorkers(); // before the server: a worker deregisters on its way out
      await server.dispose();
    }
  });

  it('TLS with a private CA: driver (tls.caFile) and worker (--tls-ca) run a call; without the CA the connection is refused clearly', async () => {
    const certs = makeCertificates(dir);
    const server = await NatsServer.start({
      config: `tls { cert_file: "${certs.serverCert}", key_file: "${certs.serverKey}" }`,
    });
    try {
      await worker(['--servers', server.url, '--concurrency', '1', '--tls-ca', certs.ca]);
      expect(await runOne({ servers: server.url, tls: { caFile: certs.ca } })).toEqual([9]);
      // no CA: the server's certificate cannot be verified, whether or not TLS was asked for
      const caHint = /TLS with the NATS server .* failed \(.*\)\. .*caFile.*--tls-ca/;
      await expect(runOne({ servers: server.url })).rejects.toThrow(caHint);
      await expect(runOne({ servers: server.url, tls: true })).rejects.toThrow(caHint);
      await expect(startCliWorker(['--servers', server.url, '--concurrency', '1'])).rejects.toThrow(
        /exited \(1\)[\s\S]*TLS with the NATS server/,
      );
    } finally {
      await stopWorkers(); // before the server: a worker deregisters on its way out
      await server.dispose();
    }
  });

  it('mutual TLS: a server that verifies clients accepts the client certificate of tls.certFile/keyFile and --tls-cert/--tls-key', async () => {
    const certs = makeCertificates(dir);
    const server = await NatsServer.start({
      config: `tls { cert_file: "${certs.serverCert}", key_file: "${certs.serverKey}", ca_file: "${certs.ca}", verify: true }`,
    });
    try {
      await worker([
        '--servers',
        server.url,
        '--concurrency',
        '1',
        '--tls-ca',
        certs.ca,
        '--tls-cert',
        certs.clientCert,
        '--tls-key',
        certs.clientKey,
      ]);
      const tls = { caFile: certs.ca, certFile: certs.clientCert, keyFile: certs.clientKey };
      expect(await runOne({ servers: server.url, tls })).toEqual([9]);
    } finally {
      await stopWorkers(); // before the server: a worker deregisters on its way out
      await server.dispose();
    }
  });

  it('the documented driver and worker permissions run calls end to end, and a worker user cannot enqueue batches', async () => {
    const pw = { ADMIN_PASS: 'admin-pw-1', DRIVER_PASS: 'driver-pw-2', WORKER_PASS: 'worker-pw-3' };
    const variables = Object.entries(pw)
      .map(([k, v]) => `${k}: "${v}"`)
      .join('\n');
    const server = await NatsServer.start({ config: `${variables}\n${documentedAuthorization()}` });
    const asDriver = { servers: server.url, user: 'driver', pass: pw.DRIVER_PASS };
    const asWorker = [
      '--servers',
      server.url,
      '--concurrency',
      '2',
      '--user',
      'worker',
      '--pass',
      pw.WORKER_PASS,
    ];
    const big = Float64Array.from({ length: 300_000 }, (_, i) => i % 5); // over the max payload: object store
    const bigSum = big.reduce((a, b) => a + b, 0);
    const admin = await natsConnect({ servers: server.url, user: 'admin', pass: pw.ADMIN_PASS });
    try {
      const jsm = await jetstreamManager(admin);
      // nothing exists yet. The driver starts first: it creates the queues and the worker registry
      await expect(new NatsBackend({ ...asDriver, workerWaitMs: 200 }).capacity()).rejects.toThrow(
        /no parajob worker is alive/,
      );
      await worker(asWorker);
      let backend = new NatsBackend(asDriver);
      try {
        // nJobs -1 reads the registry; the worker's large result creates the object store
        const parallel = new Parallel({ backend, nJobs: -1, batchSize: 1 });
        const [made] = await parallel.run([delayed(makeBuffer)(200_000)]);
        expect((made as Float64Array)[199_999]).toBe(199_999);
        expect(await parallel.run([1, 2, 3].map((x) => delayed(markedSquare)(x, 1, null)))).toEqual([
          1, 4, 9,
        ]);
        expect(await parallel.run([delayed(sumBuffer)(big, 1)])).toEqual([bigSum + 1]);
        // abort: the cancel reaches the worker, the call's queued batches are deleted one by one
        const controller = new AbortController();
        const aborted = new Parallel({ backend, nJobs: 2, batchSize: 1, signal: controller.signal }).run(
          [1, 2, 3, 4].map((x) => delayed(markedSquare)(x, 5_000, null)),
        );
        setTimeout(() => controller.abort(), 300);
        await expect(aborted).rejects.toThrow();
      } finally {
        await backend.terminate();
      }

      // the other order: without registry and object store, the worker creates both (the object
      // store for its sweep of gone drivers' values) and the driver's large argument uses it
      await stopWorkers();
      await jsm.streams.delete('KV_parajob_default_workers');
      await jsm.streams.delete('OBJ_parajob_default_blobs');
      await worker(asWorker);
      backend = new NatsBackend(asDriver);
      try {
        const parallel = new Parallel({ backend, nJobs: -1, batchSize: 1 });
        expect(await parallel.run([delayed(sumBuffer)(big, 2)])).toEqual([bigSum + 2]);
      } finally {
        await backend.terminate();
      }

      // the worker user cannot enqueue batches
      const nc = await natsConnect({ servers: server.url, user: 'worker', pass: pw.WORKER_PASS });
      try {
        await expect(
          jetstream(nc).publish('parajob.default.tasks.x.y', new Uint8Array(1), { timeout: 2_000 }),
        ).rejects.toThrow(/Permissions Violation for Publish to "parajob\.default\.tasks\.x\.y"/);
      } finally {
        await nc.close();
      }
      // the worker's shutdown (deregistering) is part of what must be allowed
      await stopWorkers();
      // everything the driver and worker users did was allowed (the server logs each violation)
      const violations = server
        .output()
        .split('\n')
        .filter((line) => /Violation/.test(line));
      expect(violations).toEqual([
        expect.stringMatching(/Publish Violation .*"worker".*"parajob\.default\.tasks\.x\.y"/),
      ]);
      // and what they leave behind was cleaned up
      const left = async () => ({
        tasks: (await jsm.streams.info('PARAJOB_DEFAULT_TASKS')).state.messages,
        results: (await jsm.streams.info('PARAJOB_DEFAULT_RESULTS')).state.messages,
        blobs: (await (await new Objm(admin).open('parajob_default_blobs')).list()).length,
      });
      const clean = { tasks: 0, results: 0, blobs: 0 };
      // the aborted batches are removed by the driver's deletes and the worker's term, not at once
      await until(async () => JSON.stringify(await left()) === JSON.stringify(clean));
      expect(await left()).toEqual(clean);
    } finally {
      await admin.close();
      await stopWorkers();
      await server.dispose();
    }
  });
});
