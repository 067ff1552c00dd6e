/**
 * NATS decentralized auth (operator mode) end to end: an operator, a system account, an
 * application account with JetStream and a user are minted here with nkeys, the server runs in
 * operator mode with a memory resolver, and a real `parajob worker nats --creds FILE` and a
 * driver `{ creds: FILE }` run calls through the queues, the worker registry (KV) and the object
 * store. Clients without credentials, or with the creds of an account the server does not know,
 * are refused clearly.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAccount, createOperator, createUser, type KeyPair } from '@nats-io/nkeys';
import { delayed, Parallel } from '@parajob/core';
import { NatsBackend, type NatsBackendOptions } from '@parajob/nats';
import { NatsServer, natsServerAvailable } from '@parajob/nats/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeBuffer, markedSquare, sumBuffer } from '../fixtures/nats/tasks.mjs';
import { type CliWorker, startCliWorker, stopCliWorker } from '../helpers/nats-workers.js';

const base64url = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64url');
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/**
 * A NATS JWT (docs.nats.io, "JSON Web Tokens"): ed25519-nkey header, claims, and the issuer's nkey
 * signature over "header.payload". The jti is a hash of the claims, like nsc's (it only has to be unique).
 */
function signJwt(issuer: KeyPair, subject: string, name: string, nats: Record<string, unknown>): string {
  const claims: Record<string, unknown> = {
    jti: '',
    iat: Math.floor(Date.now() / 1000),
    iss: issuer.getPublicKey(),
    name,
    sub: subject,
    nats: { ...nats, version: 2 },
  };
  claims.jti = base32(createHash('sha512-256').update(JSON.stringify(claims)).digest());
  const unsigned = `${base64url(JSON.stringify({ typ: 'JWT', alg: 'ed25519-nkey' }))}.${base64url(JSON.stringify(claims))}`;
  return `${unsigned}.${base64url(issuer.sign(new TextEncoder().encode(unsigned)))}`;
}

/** RFC 4648 base32 without padding (the jti encoding). */
function base32(bytes: Uint8Array): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

const UNLIMITED = {
  subs: -1,
  data: -1,
  payload: -1,
  imports: -1,
  exports: -1,
  wildcards: true,
  conn: -1,
  leaf: -1,
};
const NO_JETSTREAM = { mem_storage: 0, disk_storage: 0, streams: 0, consumer: 0 };
const JETSTREAM = { mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 };

function mintAccount(operator: KeyPair, name: string, jetstream: boolean) {
  const key = createAccount();
  const jwt = signJwt(operator, key.getPublicKey(), name, {
    type: 'account',
    limits: { ...UNLIMITED, ...(jetstream ? JETSTREAM : NO_JETSTREAM) },
    default_permissions: { pub: {}, sub: {} },
  });
  return { key, jwt, pub: key.getPublicKey() };
}

/** The standard .creds file of a new user of `account`. */
function mintUserCreds(account: KeyPair, name: string, file: string): string {
  const user = createUser();
  const jwt = signJwt(account, user.getPublicKey(), name, {
    type: 'user',
    pub: {},
    sub: {},
    subs: -1,
    data: -1,
    payload: -1,
  });
  writeFileSync(
    file,
    `-----BEGIN NATS USER JWT-----\n${jwt}\n------END NATS USER JWT------\n\n` +
      '************************* IMPORTANT *************************\n' +
      'NKEY Seed printed below can be used to sign and prove identity.\n' +
      'NKEYs are sensitive and should be treated as secrets.\n\n' +
      `-----BEGIN USER NKEY SEED-----\n${text(user.getSeed())}\n------END USER NKEY SEED------\n\n` +
      '*************************************************************\n',
    { mode: 0o600 },
  );
  return file;
}

/** An operator-mode server config: operator JWT, system account and a preloaded memory resolver. */
function operatorSetup(dir: string) {
  const operator = createOperator();
  const sys = mintAccount(operator, 'SYS', false);
  const operatorJwt = signJwt(operator, operator.getPublicKey(), 'parajob-test-operator', {
    type: 'operator',
    system_account: sys.pub,
  });
  const app = mintAccount(operator, 'APP', true);
  // an account signed by the same operator but never given to the server's resolver
  const stranger = mintAccount(operator, 'STRANGER', true);
  const config = [
    `operator: ${operatorJwt}`,
    `system_account: ${sys.pub}`,
    'resolver: MEMORY',
    `resolver_preload: {\n  ${app.pub}: ${app.jwt}\n  ${sys.pub}: ${sys.jwt}\n}`,
  ].join('\n');
  return {
    config,
    appCreds: mintUserCreds(app.key, 'parajob', join(dir, 'app-user.creds')),
    strangerCreds: mintUserCreds(stranger.key, 'stranger', join(dir, 'stranger-user.creds')),
  };
}

describe.runIf(natsServerAvailable())('nats creds (operator mode)', () => {
  let workers: CliWorker[] = [];
  let dir: string;
  let server: NatsServer;
  let setup: ReturnType<typeof operatorSetup>;
  const stopWorkers = async () => {
    await Promise.all(workers.map(stopCliWorker));
    workers = [];
  };
  const runOne = async (options: NatsBackendOptions, x = 3) => {
    const backend = new NatsBackend(options);
    try {
      return await new Parallel({ backend, nJobs: 2 }).run([delayed(markedSquare)(x, 1, null)]);
    } finally {
      await backend.terminate();
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parajob-nats-creds-'));
    setup = operatorSetup(dir);
    server = await NatsServer.start({ config: setup.config });
  });
  afterEach(stopWorkers);
  afterAll(async () => {
    await stopWorkers(); // before the server: a worker deregisters on its way out
    await server?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a worker (--creds) and a driver ({ creds }) of a JetStream account run calls: queues, registry and object store', async () => {
    workers.push(
      await startCliWorker(['--servers', server.url, '--concurrency', '2', '--creds', setup.appCreds]),
    );
    const backend = new NatsBackend({ servers: server.url, creds: setup.appCreds });
    try {
      // nJobs -1 reads the worker registry (KV)
      const parallel = new Parallel({ backend, nJobs: -1, batchSize: 1 });
      expect(await parallel.run([1, 2, 3, 4].map((x) => delayed(markedSquare)(x, 1, null)))).toEqual([
        1, 4, 9, 16,
      ]);
      // over the max payload both ways: the argument and the result go through the object store
      const big = Float64Array.from({ length: 300_000 }, (_, i) => i % 7);
      expect(await parallel.run([delayed(sumBuffer)(big, 5)])).toEqual([big.reduce((a, b) => a + b, 5)]);
      const [made] = await parallel.run([delayed(makeBuffer)(200_000)]);
      expect((made as Float64Array)[199_999]).toBe(199_999);
    } finally {
      await backend.terminate();
    }
    // nothing was refused on the way (the server logs each violation)
    expect(server.output()).not.toMatch(/Violation/);
  });

  it('a driver without credentials, or with the creds of an account the server does not know, gets a clear authorization error', async () => {
    const refused =
      /refused the connection: authorization failed \(.*\)\. .*\{ creds: '\/path\/to\/user\.creds' \}/;
    await expect(runOne({ servers: server.url })).rejects.toThrow(refused);
    await expect(runOne({ servers: server.url, creds: setup.strangerCreds })).rejects.toThrow(refused);
    // a worker with such creds exits 1 saying so, instead of waiting for work forever
    await expect(
      startCliWorker(['--servers', server.url, '--concurrency', '1', '--creds', setup.strangerCreds]),
    ).rejects.toThrow(/exited \(1\)[\s\S]*authorization failed .*--creds/);
  });
});
