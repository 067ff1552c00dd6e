/** The built `parajob` command, run as a user runs it: a real process, real stdin/stdout, exit codes. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../packages/cli/dist/bin.js', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../fixtures/cli/', import.meta.url));

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The signal that ended the CLI, if one did. */
  signal: NodeJS.Signals | null;
  /** The CLI's own process id. */
  pid: number;
}

function parajob(
  args: string[],
  options: { input?: string; cwd?: string; env?: Record<string, string>; nodeArgs?: string[] } = {},
): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), BIN, ...args], {
      cwd: options.cwd ?? FIXTURES,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, pid: child.pid! }));
    child.stdin.end(options.input ?? '');
  });
}

const numbers = (n: number) => Array.from({ length: n }, (_, i) => `${i + 1}\n`).join('');

describe('parajob demo', () => {
  it('--quick runs every local backend and prints the table, exit 0', async () => {
    const r = await parajob(['demo', '--quick']);
    expect(r.stderr).not.toMatch(/parajob: /);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/backend +workers +wall time +speed-up +primes +note/);
    // every row found the same number of primes below 5,000,000: 348,513
    for (const backend of ['sequential', 'worker-threads', 'child-process', 'threads']) {
      expect(r.stdout).toMatch(new RegExp(`^${backend} +\\d+ +[\\d.]+ s +[\\d.]+x +348,513 `, 'm'));
    }
    expect(r.stdout).toMatch(/in-process/);
    // the progress bar (not a terminal here: progress lines) went to stderr
    expect(r.stderr).toMatch(/progress: 40\/40 \(100%\)/);
  });

  it('--backends picks the backends and an unknown one is bad usage', async () => {
    const ok = await parajob(['demo', '--quick', '--backends', 'threads', '-j', '2']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^threads +2 /m);
    expect(ok.stdout).not.toMatch(/^worker-threads/m);
    const bad = await parajob(['demo', '--backends', 'gpu']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /'gpu' is not a registered backend; choose among child-process, threads, worker-threads/,
    );
    expect(bad.stderr).toMatch(/\nrun 'parajob demo --help' for the options\n$/);
  });
});

describe('parajob map', () => {
  it.each(['worker-threads', 'child-process', 'threads'])(
    '--backend %s: one result line per input line, in input order',
    async (backend) => {
      const r = await parajob(['map', './tasks.mjs#square', '-j', '2', '--backend', backend], {
        input: numbers(200),
      });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(Array.from({ length: 200 }, (_, i) => `${(i + 1) ** 2}\n`).join(''));
    },
  );

  it('--backend child-process runs the tasks in other processes than the CLI (and -j 1 in its own)', async () => {
    const pool = await parajob(['map', './tasks.mjs#pid', '--backend', 'child-process', '-j', '2'], {
      input: '[]\n[]\n[]\n',
    });
    expect(pool.code).toBe(0);
    const pids = pool.stdout.trim().split('\n').map(Number);
    expect(pids).toHaveLength(3);
    expect(pids).not.toContain(pool.pid);
    const own = await parajob(['map', './tasks.mjs#pid', '-j', '1'], { input: '[]\n' });
    expect(own.stdout).toBe(`${own.pid}\n`);
  });

  it('arrays are argument lists, other values the single argument; async functions are awaited', async () => {
    const add = await parajob(['map', 'tasks.mjs#add'], { input: '[1, 2]\n\n[10, 20]\n' });
    expect(add.stdout).toBe('3\n30\n');
    const text = await parajob(['map', './tasks.mjs#describe', '-j', '-1'], {
      input: '{"name":"Ada","age":36}\n{"name":"Alan","age":41}\n',
    });
    expect(text.code).toBe(0);
    expect(text.stdout).toBe('"Ada is 36"\n"Alan is 41"\n');
  });

  it.each(['worker-threads', 'child-process'])(
    'a TypeScript module under tsx works on %s (workers inherit the loader)',
    async (backend) => {
      const r = await parajob(['map', './typed-tasks.ts#area', '-j', '2', '-b', backend], {
        input: '{"width":2,"height":3}\n{"width":4,"height":5}\n',
        nodeArgs: ['--import', 'tsx'],
      });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('6\n20\n');
    },
  );

  it('a TypeScript module without a loader: exit 2, saying how to run it with tsx', async () => {
    const r = await parajob(['map', './typed-tasks.ts#area'], { input: '{"width":2,"height":3}\n' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/'\.\/typed-tasks\.ts' is TypeScript/);
    expect(r.stderr).toMatch(/NODE_OPTIONS='--import tsx' parajob map \.\/typed-tasks\.ts#area/);
    expect(r.stderr).not.toMatch(/Unknown file extension/);
    expect(r.stdout).toBe('');
  });

  it('SIGINT to the CLI alone (not its process group): child-process workers exit without EPIPE noise', async () => {
    const child = spawn(
      process.execPath,
      [BIN, 'map', './slow-tasks.mjs#busy', '-b', 'child-process', '-j', '2'],
      {
        cwd: FIXTURES,
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    // interrupt once results flow: the workers are in the middle of their next tasks
    child.stdout.once('data', () => child.kill('SIGINT'));
    child.stdin.end(numbers(200));
    // 'close' waits for every holder of the stderr pipe: the workers inherited it, so they are gone too
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) =>
      child.on('close', (c, s) => resolve([c, s])),
    );
    expect(code === 130 || signal === 'SIGINT').toBe(true);
    expect(stderr).not.toMatch(/EPIPE|ERR_IPC_CHANNEL_CLOSED|Error:/);
  });

  it('a CommonJS module works too', async () => {
    const r = await parajob(['map', './tasks.cjs#triple', '-j', '2'], { input: numbers(5) });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('3\n6\n9\n12\n15\n');
  });

  it.each(['worker-threads', 'child-process'])(
    'a failing line on %s: exit 1, its line number and the error on stderr, every line before it written',
    async (backend) => {
      const r = await parajob(['map', './tasks.mjs#failOnThree', '-j', '2', '-b', backend], {
        input: '1\n2\n\n3\n4\n5\n',
      });
      expect(r.code, `signal ${r.signal}, stderr: ${r.stderr}`).toBe(1);
      expect(r.stderr).toMatch(/^parajob: line 4: RangeError: three is not allowed \(got 3\)/);
      expect(r.stderr).toMatch(/at failOnThree /); // a frame of the worker's stack
      // only the user's frames: none of parajob's scheduler, worker runtime, piscina or node:internal
      const frames = r.stderr.split('\n').filter((line) => line.trimStart().startsWith('at '));
      expect(frames.length).toBeGreaterThan(0);
      for (const frame of frames) expect(frame).toMatch(/fixtures\/cli\/tasks\.mjs:/);
      // every result before the failing line, on every backend
      expect(r.stdout).toBe('1\n2\n');
    },
  );

  it('an invalid JSON line: exit 1 with its line number', async () => {
    const r = await parajob(['map', './tasks.mjs#square'], { input: '1\n2\n[3,\n4\n' });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('1\n4\n');
    expect(r.stderr).toMatch(/^parajob: line 3: not valid JSON/);
  });

  it('a missing module or export: exit 2 with a clear message', async () => {
    const noModule = await parajob(['map', './nope.mjs#square'], { input: '1\n' });
    expect(noModule.code).toBe(2);
    expect(noModule.stderr).toMatch(/cannot find module '\.\/nope\.mjs'/);
    const noExport = await parajob(['map', './tasks.mjs#cube'], { input: '1\n' });
    expect(noExport.code).toBe(2);
    expect(noExport.stderr).toMatch(
      /module '\.\/tasks\.mjs' has no export 'cube'; its exports: add, describe, failOnThree, pid, square/,
    );
  });

  it('stops quietly, exit 0, when the reader of its output goes away (`| head -1`)', async () => {
    const child = spawn(process.execPath, [BIN, 'map', './tasks.mjs#square'], {
      cwd: FIXTURES,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdin.on('error', () => {}); // the CLI may stop reading before all input is written
    child.stdout.once('data', () => child.stdout.destroy());
    child.stdin.end(numbers(100_000));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  describe('files', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'parajob-cli-e2e-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('--input and --output files, with --progress on stderr', async () => {
      const input = join(FIXTURES, 'numbers.jsonl');
      const output = join(dir, 'squares.jsonl');
      const r = await parajob(
        ['map', join(FIXTURES, 'tasks.mjs#square'), '--input', input, '--output', output, '--progress'],
        { cwd: dir },
      );
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('');
      expect(await readFile(output, 'utf8')).toBe('1\n4\n9\n16\n25\n36\n49\n64\n81\n100\n');
      expect(r.stderr).toMatch(/progress: 10\/10 \(100%\)/);
    });
  });
});

describe('parajob info', () => {
  it('prints the version, the CPU count and why, and the registered backends', async () => {
    const r = await parajob(['info'], { env: { PARAJOB_MAX_CPU_COUNT: '1' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^parajob \d+\.\d+\.\d+ \(@parajob\/cli; parajob \d/);
    expect(r.stdout).toMatch(/^CPUs: 1 usable \(limited by PARAJOB_MAX_CPU_COUNT\)/m);
    expect(r.stdout).toMatch(/^Backends: child-process, sequential, threads, worker-threads \(default\)$/m);
  });

  it('--servers reports an unreachable server, exit 1', async () => {
    // port 1 on localhost: nothing listens there
    const r = await parajob(['info', '--servers', 'nats://127.0.0.1:1']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/nats:\/\/127\.0\.0\.1:1: NOT reachable/);
  });
});

describe('usage', () => {
  it('--help and --version, exit 0', async () => {
    const help = await parajob(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: parajob <command>/);
    const mapHelp = await parajob(['map', '--help']);
    expect(mapHelp.code).toBe(0);
    expect(mapHelp.stdout).toMatch(/^Usage: parajob map MODULE#EXPORT/);
    const version = await parajob(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it.each([
    [['bogus'], /^parajob: unknown command 'bogus'$/, 'parajob'],
    [[], /^parajob: no command given$/, 'parajob'],
    [['map'], /^parajob map: MODULE#EXPORT is missing/, 'parajob map'],
    [
      ['map', './tasks.mjs#square', '--jobs', '0'],
      /^parajob map: -j\/--jobs must be a non-zero integer/,
      'parajob map',
    ],
    [
      ['map', './tasks.mjs#square', '-j', '-1.5'],
      /^parajob map: -j\/--jobs must be a non-zero integer.*got '-1\.5'$/,
      'parajob map',
    ],
    [['map', './tasks.mjs#square', '--backend', 'gpu'], /^parajob map: .*gpu/, 'parajob map'],
    [['info', '--verbose'], /^parajob info: unknown option '--verbose'$/, 'parajob info'],
    [['worker'], /^parajob worker: the kind of worker is missing/, 'parajob worker'],
  ])('%j: exit 2, one line and a hint to --help on stderr', async (args, message, program) => {
    const r = await parajob(args);
    expect(r.code).toBe(2);
    const lines = r.stderr.split('\n');
    expect(lines[0]).toMatch(message);
    expect(lines.slice(1)).toEqual([`run '${program} --help' for the options`, '']);
    expect(r.stdout).toBe('');
  });

  it("the repository's `npx parajob` runs after npm ci and the build (the bin is linked and executable)", async () => {
    const bin = fileURLToPath(new URL('../../node_modules/.bin/parajob', import.meta.url));
    const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});
