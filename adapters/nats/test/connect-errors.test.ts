/** A connection that cannot be opened is a typed NatsConnectError: a program tells "down" from "misconfigured". */
import { describe, expect, it } from 'vitest';
import { NatsConnectError, openConnection } from '../src/connection.js';
import { freePort } from '../src/testing/nats-server.js';

describe('openConnection', () => {
  // freePort() gives a loopback port that nothing listens on once it returns
  it('fails with NatsConnectError NATS_UNREACHABLE, naming the server and what to check', async () => {
    const url = `nats://127.0.0.1:${await freePort()}`;
    const error = await openConnection({ servers: url }, 'test').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NatsConnectError);
    expect(error).toMatchObject({ name: 'NatsConnectError', code: 'NATS_UNREACHABLE', servers: url });
    expect((error as Error).message).toMatch(/could not connect to the NATS server .*Is nats-server running/);
    expect((error as Error).cause).toBeDefined();
  });
});
