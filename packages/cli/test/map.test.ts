import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { map } from '../src/commands/map.js';
import { UsageError } from '../src/errors.js';
import { memoryIo } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
// only core's sequential backend is registered in these in-process tests; e2e covers the pools
const SEQ = ['--backend', 'sequential'];

describe('map (in-process, sequential backend)', () => {
  it('writes one JSON line per input line, in input order; arrays are argument lists', async () => {
    const io = memoryIo('[1, 2]\n[3, 4]\n\n[5, 6]\n', here);
    expect(await map(['./fixtures/tasks.mjs#add', ...SEQ], io)).toBe(0);
    expect(io.out()).toBe('3\n7\n11\n');
    expect(io.err()).toBe('');
  });

  it('runs in this process with -j 1 and handles single values and undefined results', async () => {
    const io = memoryIo('2\n{"a":1}\n', here);
    expect(await map(['./fixtures/tasks.mjs#nothing', '-j', '1'], io)).toBe(0);
    expect(io.out()).toBe('null\nnull\n');
  });

  it('a failing line: exit 1, its line number and message on stderr, the lines before it written', async () => {
    const io = memoryIo('1\n2\n\n3\n4\n', here);
    expect(await map(['./fixtures/tasks.mjs#failOnThree', ...SEQ], io)).toBe(1);
    expect(io.out()).toBe('1\n2\n');
    expect(io.err()).toMatch(/^parajob: line 4: RangeError: three is not allowed \(got 3\)/);
  });

  it('an invalid JSON line: exit 1 with its line number, after writing the results before it', async () => {
    const io = memoryIo('1\n2\n{nope\n4\n', here);
    expect(await map(['./fixtures/tasks.mjs#square', ...SEQ], io)).toBe(1);
    expect(io.out()).toBe('1\n4\n');
    expect(io.err()).toMatch(/^parajob: line 3: not valid JSON/);
  });

  it('a result JSON cannot hold: exit 1 naming the line', async () => {
    const io = memoryIo('1\n2\n', here);
    expect(await map(['./fixtures/tasks.mjs#bigint', ...SEQ], io)).toBe(1);
    expect(io.err()).toMatch(/line 1: the result cannot be written as JSON/);
  });

  it('an unknown backend is a usage error', async () => {
    await expect(
      map(['./fixtures/tasks.mjs#square', '--backend', 'nope'], memoryIo('1\n', here)),
    ).rejects.toThrow(UsageError);
  });

  it('--help prints the usage on stdout', async () => {
    const io = memoryIo('', here);
    expect(await map(['--help'], io)).toBe(0);
    expect(io.out()).toMatch(/^Usage: parajob map MODULE#EXPORT/);
  });

  describe('files', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'parajob-cli-map-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('--input and --output are files relative to the working directory', async () => {
      await writeFile(join(dir, 'in.jsonl'), '3\n4\n');
      const io = memoryIo('', dir);
      expect(
        await map([join(here, 'fixtures/tasks.mjs#square'), '-i', 'in.jsonl', '-o', 'out.jsonl', ...SEQ], io),
      ).toBe(0);
      expect(await readFile(join(dir, 'out.jsonl'), 'utf8')).toBe('9\n16\n');
      expect(io.out()).toBe('');
    });

    it('--report FILE writes the run report: one HTML file with the call and its failing line', async () => {
      const io = memoryIo('1\n2\n3\n', dir);
      const code = await map(
        [join(here, 'fixtures/tasks.mjs#failOnThree'), '--report', 'run.html', ...SEQ],
        io,
      );
      expect(code).toBe(1);
      const html = await readFile(join(dir, 'run.html'), 'utf8');
      const run = JSON.parse(/const RUN = (.*);\n/.exec(html)![1]!) as {
        calls: { error: string | null }[];
        errors: { taskIndex: number | null }[];
      };
      expect(run.calls).toHaveLength(1);
      expect(run.calls[0]!.error).not.toBeNull();
      expect(run.errors.map((e) => e.taskIndex)).toEqual([2]);
    });

    it('a missing --input file is exit 2 before anything runs', async () => {
      const error = await map(
        [join(here, 'fixtures/tasks.mjs#square'), '-i', 'absent.jsonl', ...SEQ],
        memoryIo('', dir),
      ).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'CliError', exitCode: 2 });
      expect(String((error as Error).message)).toMatch(/cannot read --input 'absent.jsonl'/);
    });
  });
});
