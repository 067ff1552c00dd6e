import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isMissingWorker, worker } from '../src/commands/worker.js';
import { main } from '../src/main.js';
import { memoryIo } from './helpers.js';

const version = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

describe('main', () => {
  it('--help prints the main usage on stdout, exit 0', async () => {
    const io = memoryIo();
    expect(await main(['--help'], io)).toBe(0);
    expect(io.out()).toMatch(/^Usage: parajob <command>/);
    expect(io.err()).toBe('');
  });
  it('help COMMAND prints that command usage', async () => {
    const io = memoryIo();
    expect(await main(['help', 'info'], io)).toBe(0);
    expect(io.out()).toMatch(/^Usage: parajob info/);
  });
  it('--version prints the package version', async () => {
    const io = memoryIo();
    expect(await main(['--version'], io)).toBe(0);
    expect(io.out()).toBe(`${version}\n`);
  });
  it.each([[[]], [['frobnicate']], [['help', 'frobnicate']]])(
    'bad usage %j: exit 2, message and usage on stderr',
    async (argv) => {
      const io = memoryIo();
      expect(await main(argv, io)).toBe(2);
      expect(io.err()).toMatch(
        /^parajob: (no command given|unknown command 'frobnicate')\n\nUsage: parajob <command>/,
      );
      expect(io.out()).toBe('');
    },
  );
  it('a command usage error shows that command usage', async () => {
    const io = memoryIo();
    expect(await main(['worker', 'kafka'], io)).toBe(2);
    expect(io.err()).toMatch(
      /^parajob: unknown worker kind 'kafka': use 'nats' or 'grpc'\n\nUsage: parajob worker nats/,
    );
  });
});

describe('worker', () => {
  it('needs a kind', async () => {
    await expect(worker([], memoryIo())).rejects.toMatchObject({ name: 'UsageError', usage: 'worker' });
    await expect(worker(['--servers', 'x'], memoryIo())).rejects.toMatchObject({ name: 'UsageError' });
  });
  it('--help lists both kinds and the packages they need', async () => {
    const io = memoryIo();
    expect(await worker(['--help'], io)).toBe(0);
    expect(io.out()).toMatch(/@parajob\/nats/);
    expect(io.out()).toMatch(/@parajob\/grpc/);
  });
  it('recognises a missing worker module or adapter package, and nothing else', () => {
    const missing = (message: string) => Object.assign(new Error(message), { code: 'ERR_MODULE_NOT_FOUND' });
    expect(
      isMissingWorker(
        missing("Cannot find module '/x/dist/commands/worker-nats.js' imported from /x/worker.js"),
        'nats',
      ),
    ).toBe(true);
    expect(
      isMissingWorker(missing("Cannot find package '@parajob/grpc' imported from /x/worker-grpc.js"), 'grpc'),
    ).toBe(true);
    expect(isMissingWorker(missing("Cannot find package 'nats' imported from /x/y.js"), 'nats')).toBe(false);
    expect(isMissingWorker(new Error("Cannot find package '@parajob/nats'"), 'nats')).toBe(false);
  });
});
