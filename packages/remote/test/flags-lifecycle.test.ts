import { describe, expect, it } from 'vitest';
import { FlagError, helpText, parseFlags, WORKER_FLAGS, workerFlags } from '../src/flags.js';
import { Lifecycle } from '../src/lifecycle.js';

describe('worker flags', () => {
  it('parses the shared flags with one meaning', () => {
    const values = parseFlags(
      [
        '--root',
        '/p',
        '--allow',
        '.',
        '--allow=@acme/*',
        '--allow-source',
        '--concurrency',
        '3',
        '--shutdown-grace',
        '0',
      ],
      WORKER_FLAGS,
    );
    expect(workerFlags(values)).toMatchObject({
      root: '/p',
      allow: ['.', '@acme/*'],
      allowSource: true,
      concurrency: 3,
      shutdownGraceMs: 0,
    });
  });

  it.each([
    [['--nope'], "unknown option '--nope'"],
    [['--root'], '--root needs a value'],
    [['--allow-source=1'], '--allow-source takes no value'],
    [['extra'], "unexpected argument 'extra'"],
  ])('refuses %j in one line naming the flag', (args, message) => {
    expect(() => parseFlags(args, WORKER_FLAGS)).toThrow(new FlagError(message));
  });

  it('checks values and pairs', () => {
    expect(() => workerFlags(parseFlags(['--concurrency', '0'], WORKER_FLAGS))).toThrow(/--concurrency/);
    expect(() => workerFlags(parseFlags(['--tls-cert', 'c.pem'], WORKER_FLAGS))).toThrow(/--tls-key/);
  });

  it("parses the recycling limits into the local backends' option names; absent flags stay absent", () => {
    const values = parseFlags(
      ['--max-tasks-per-worker', '2', '--max-memory-per-worker=64', '--idle-timeout', '0'],
      WORKER_FLAGS,
    );
    expect(workerFlags(values).limits).toEqual({
      maxTasksPerWorker: 2,
      maxMemoryPerWorker: 64,
      idleTimeout: 0,
    });
    expect(workerFlags(parseFlags([], WORKER_FLAGS)).limits).toEqual({});
  });

  it.each([
    [['--max-tasks-per-worker', '0'], "--max-tasks-per-worker must be a positive integer, got '0'"],
    [['--max-tasks-per-worker', '1.5'], "--max-tasks-per-worker must be a positive integer, got '1.5'"],
    [['--max-memory-per-worker', '-1'], "--max-memory-per-worker must be a positive integer, got '-1'"],
    [['--max-memory-per-worker', 'lots'], "--max-memory-per-worker must be a positive integer, got 'lots'"],
    [['--idle-timeout', '-5'], "--idle-timeout must be a non-negative integer, got '-5'"],
    [['--idle-timeout', '1e3'], "--idle-timeout must be a non-negative integer, got '1e3'"],
  ])('refuses the limit %j in one line naming the flag', (args, message) => {
    expect(() => workerFlags(parseFlags(args, WORKER_FLAGS))).toThrow(new FlagError(message));
  });

  it('documents every flag and its default', () => {
    const text = helpText('parajob worker x', 'summary', WORKER_FLAGS);
    for (const flag of WORKER_FLAGS) expect(text).toContain(`--${flag.name}`);
    expect(text).toContain('(default: 10000)');
    expect(text).toMatch(/--max-tasks-per-worker N +.*\n +\(default: never\)/);
    expect(text).toMatch(/--max-memory-per-worker MB +.*\n +\(default: none\)/);
    expect(text).toMatch(/--idle-timeout MS +.*\n +\(default: 30000\)/);
  });
});

describe('Lifecycle', () => {
  it('starting → serving → draining → stopped; batches admitted only while serving', async () => {
    const life = new Lifecycle();
    expect(life.begin()).toBe(false);
    life.serve();
    expect(life.begin()).toBe(true);
    let handedBack = false;
    const drained = life.drain(0, () => {
      handedBack = true;
      life.end();
    });
    expect(life.state).toBe('draining');
    expect(life.begin()).toBe(false);
    await drained;
    expect(handedBack).toBe(true);
    life.stopped();
    expect(life.state).toBe('stopped');
    expect(() => life.serve()).toThrow(/cannot go from stopped to serving/);
  });

  it('waits for running batches within the grace period without handing them back', async () => {
    const life = new Lifecycle();
    life.serve();
    life.begin();
    setTimeout(() => life.end(), 10);
    let handedBack = false;
    await life.drain(60_000, () => {
      handedBack = true;
    });
    expect(handedBack).toBe(false);
  });
});
