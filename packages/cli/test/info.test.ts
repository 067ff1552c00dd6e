import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { describeBackends, describeCpus, info } from '../src/commands/info.js';
import { parseServerUrl, probeNats } from '../src/nats-probe.js';
import { memoryIo } from './helpers.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((done) => s.close(done))));
});

/** A TCP server that greets every client with `greeting`, as nats-server does with its INFO line. */
async function greeter(greeting: string): Promise<number> {
  const server = createServer((socket) => socket.end(greeting));
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return (server.address() as AddressInfo).port;
}

/** A port nobody listens on: listen, note the port, close. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return port;
}

describe('describeCpus', () => {
  it('names the limit that decided and every input to it', () => {
    const lines = describeCpus({
      os: 8,
      affinity: 8,
      cgroupQuota: 2,
      cgroupFile: '/sys/fs/cgroup/cpu.max',
      envLimit: null,
      physicalCores: 4,
      usable: 2,
      usablePhysical: 2,
      limitedBy: 'cgroup',
    }).join('\n');
    expect(lines).toMatch(/^CPUs: 2 usable \(limited by the cgroup CPU quota\); 2 physical cores usable/);
    expect(lines).toMatch(/cgroup CPU quota: +2 \(\/sys\/fs\/cgroup\/cpu\.max\)/);
    expect(lines).toMatch(/PARAJOB_MAX_CPU_COUNT: +not set/);
    expect(lines).toMatch(/physical cores: +4/);
  });
  it('marks the default backend', () => {
    expect(describeBackends(['sequential', 'threads'], 'threads')).toBe(
      'Backends: sequential, threads (default)',
    );
  });
});

describe('info', () => {
  it('prints the version, the usable CPUs (honouring PARAJOB_MAX_CPU_COUNT) and the backends', async () => {
    const io = memoryIo();
    (io.env as Record<string, string>).PARAJOB_MAX_CPU_COUNT = '1';
    expect(await info([], io)).toBe(0);
    expect(io.out()).toMatch(/^parajob \d+\.\d+\.\d+/);
    expect(io.out()).toMatch(/CPUs: 1 usable \(limited by PARAJOB_MAX_CPU_COUNT\)/);
    expect(io.out()).toMatch(/Backends: .*sequential/);
  });

  it('--servers: a server greeting with INFO is reachable, exit 0', async () => {
    const port = await greeter(
      'INFO {"server_id":"X","version":"2.10.1","server_name":"n1","jetstream":true}\r\n',
    );
    const io = memoryIo();
    expect(await info(['--servers', `nats://127.0.0.1:${port}`], io)).toBe(0);
    expect(io.out()).toMatch(
      new RegExp(
        `nats://127\\.0\\.0\\.1:${port}: reachable \\(nats-server 2\\.10\\.1, name n1, JetStream on\\)`,
      ),
    );
  });

  it('--servers: a closed port and a server that is not NATS are reported, exit 1', async () => {
    const closed = await closedPort();
    const http = await greeter('HTTP/1.1 400 Bad Request\r\n\r\n');
    const io = memoryIo();
    expect(await info(['-s', `127.0.0.1:${closed},127.0.0.1:${http}`], io)).toBe(1);
    expect(io.out()).toMatch(new RegExp(`127\\.0\\.0\\.1:${closed}: NOT reachable \\(ECONNREFUSED\\)`));
    expect(io.out()).toMatch(
      new RegExp(
        `127\\.0\\.0\\.1:${http}: NOT reachable \\(the server answered, but not with a NATS INFO line`,
      ),
    );
  });

  it('refuses a malformed server address as bad usage', async () => {
    await expect(info(['--servers', 'nats://'], memoryIo())).rejects.toMatchObject({
      name: 'UsageError',
      command: 'info',
    });
  });
});

describe('parseServerUrl / probeNats', () => {
  it('defaults the scheme and the port, and hides credentials', () => {
    expect(parseServerUrl('localhost')).toEqual({
      host: 'localhost',
      port: 4222,
      display: 'nats://localhost',
    });
    expect(parseServerUrl('nats://u:p@h:5000')).toEqual({ host: 'h', port: 5000, display: 'nats://h:5000' });
    expect(parseServerUrl('tls://[::1]:4443')).toEqual({
      host: '::1',
      port: 4443,
      display: 'tls://[::1]:4443',
    });
  });
  it('reads an INFO line split over several packets', async () => {
    const server = createServer((socket) => {
      socket.write('INFO {"version":');
      setTimeout(() => socket.end('"2.9.0"}\r\n'), 20);
    });
    servers.push(server);
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as AddressInfo;
    await expect(probeNats({ host: '127.0.0.1', port, display: '' })).resolves.toEqual({
      ok: true,
      info: { version: '2.9.0' },
    });
  });
});
