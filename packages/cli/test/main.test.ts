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
    'bad usage %j: exit 2, one line and a hint to --help on stderr',
    async (argv) => {
      const io = memoryIo();
      expect(await main(argv, io)).toBe(2);
      expect(io.err()).toMatch(
        /^parajob: (no command given|unknown command 'frobnicate')\nrun 'parajob --help' for the options\n$/,
      );
      expect(io.out()).toBe('');
    },
  );
  it('a command usage error names the command and points to its --help', async () => {
    const io = memoryIo();
    expect(await main(['worker', 'kafka'], io)).toBe(2);
    expect(io.err()).toBe(
      "parajob worker: unknown worker kind 'kafka': use 'nats' or 'grpc'\nrun 'parajob worker --help' for the options\n",
    );
  });
  it.each([
    [
      ['demo', '-j', '-1.5'],
      "parajob demo: -j/--jobs must be a non-zero integer (-1: all usable CPUs, -2: all but one, N: N workers), got '-1.5'",
    ],
    [
      ['demo', '--jobs', '-x'],
      "parajob demo: -j/--jobs needs a value, and '-x' looks like an option; if it is the value, write --jobs=-x",
    ],
    [['demo', '-j'], 'parajob demo: -j/--jobs needs a value'],
    [['demo', '--quick=yes'], 'parajob demo: -q/--quick takes no value'],
    [['map', 'x.js#f', '--foo'], "parajob map: unknown option '--foo'"],
    [['map', 'x.js#f', '--foo=1'], "parajob map: unknown option '--foo'"],
    [['info', '-z'], "parajob info: unknown option '-z'"],
    [['info', 'extra'], 'parajob info: unexpected argument: extra'],
  ])('%j: one line in our words, no parseArgs message', async (argv, line) => {
    const io = memoryIo();
    expect(await main(argv, io)).toBe(2);
    const [first, hint, ...rest] = io.err().split('\n');
    expect(first).toBe(line);
    expect(hint).toBe(`run 'parajob ${argv[0]} --help' for the options`);
    expect(rest).toEqual(['']);
    expect(io.err()).not.toMatch(/ambiguous|positional argument|To specify/);
  });
});

describe('worker', () => {
  it('needs a kind', async () => {
    await expect(worker([], memoryIo())).rejects.toMatchObject({ name: 'UsageError', command: 'worker' });
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
