/**
 * Docs that run: every program block of README.md and docs/*.md is written to a project under
 * e2e/.docs-run/ (inside the repository, so `parajob` and `@parajob/*` resolve from its
 * node_modules) and run with node (`--import tsx` for .ts), with the servers it names: a block
 * mentioning `127.0.0.1:50051` gets a `parajob worker grpc`, one mentioning
 * `nats://127.0.0.1:4222` a nats-server (shared) and a `parajob worker nats`; the test rewrites
 * those addresses to the real ones. The convention is in docs/README.md.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NatsServer, natsServerAvailable } from '@parajob/nats/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { type DocProgram, extractDocBlocks } from '../helpers/doc-blocks.js';
import { CLI } from '../helpers/nats-workers.js';
import { runNode } from '../helpers/run-node.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORK = join(ROOT, 'e2e', '.docs-run');
const GRPC_PLACEHOLDER = '127.0.0.1:50051';
const NATS_PLACEHOLDER = 'nats://127.0.0.1:4222';

const docs = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const extracted = docs.map((doc) => extractDocBlocks(join(ROOT, doc), doc));
const programs = extracted.flatMap((e) => e.programs);

/** At most two programs at once: each starts workers of its own. */
function pool(size: number) {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async <T>(job: () => Promise<T>): Promise<T> => {
    while (running >= size) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await job();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}
const limit = pool(2);
// NATS programs share one server and its default queue: one at a time, so a batch reaches its own program's worker
const natsLimit = pool(1);

let nats: Promise<NatsServer> | undefined;
const sharedNats = () => (nats ??= NatsServer.start());

/** Starts `parajob worker <kind> ...` in the program's directory (so it may import its task modules). */
function startWorker(
  cwd: string,
  args: string[],
  ready: RegExp,
): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'worker', ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const match = ready.exec(out);
      if (match) resolve({ child, match });
    });
    child.once('exit', (code, signal) =>
      reject(new Error(`worker ${args[0]} exited (${code ?? signal}) before ready:\n${err}`)),
    );
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

const slug = (program: DocProgram) => program.id.replace(/[^\w]+/g, '-');

function writeProgram(dir: string, program: DocProgram, rewrites: Array<[string, string]> = []): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{ "type": "module", "private": true }\n');
  for (const f of program.files) {
    const path = join(dir, f.name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(
      path,
      rewrites.reduce((t, [from, to]) => t.replaceAll(from, to), f.text),
    );
  }
}

async function run(program: DocProgram) {
  const dir = join(WORK, 'run', slug(program));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // first: a worker takes the nearest package.json's directory as its --root
  writeFileSync(join(dir, 'package.json'), '{ "type": "module", "private": true }\n');
  const text = program.files.map((f) => f.text).join('\n');
  const workers: ChildProcess[] = [];
  try {
    const rewrites: Array<[string, string]> = [];
    if (text.includes(GRPC_PLACEHOLDER)) {
      const w = await startWorker(
        dir,
        ['grpc', '--listen', '127.0.0.1:0', '--concurrency', '2'],
        /listening on (\S+)/,
      );
      workers.push(w.child);
      rewrites.push([GRPC_PLACEHOLDER, w.match[1]!]);
    }
    if (text.includes(NATS_PLACEHOLDER)) {
      const server = await sharedNats();
      const w = await startWorker(dir, ['nats', '--servers', server.url, '--concurrency', '2'], /ready \(/);
      workers.push(w.child);
      rewrites.push([NATS_PLACEHOLDER, server.url]);
    }
    writeProgram(dir, program, rewrites);
    const args = program.entry.endsWith('.ts') ? ['--import', 'tsx', program.entry] : [program.entry];
    return await runNode(args, { cwd: dir, killAfterMs: 90_000 });
  } finally {
    await Promise.all(workers.map(stop));
  }
}

afterAll(async () => {
  if (nats) await (await nats).dispose();
  rmSync(WORK, { recursive: true, force: true });
});

describe('docs that run', () => {
  it('every example block is a program or says why it is not run', () => {
    expect(extracted.flatMap((e) => e.problems)).toEqual([]);
    expect(programs.length).toBeGreaterThan(5);
  });

  it('every TypeScript example type-checks (strict, nodenext)', async () => {
    const dir = join(WORK, 'typecheck');
    rmSync(dir, { recursive: true, force: true });
    for (const program of programs) writeProgram(join(dir, slug(program)), program);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'nodenext',
          target: 'es2022',
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
        },
        include: ['**/*.ts'],
      }),
    );
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await limit(() =>
      runNode([tsc, '-p', 'tsconfig.json'], { cwd: dir, killAfterMs: 120_000 }),
    );
    expect(result.code, result.stdout + result.stderr).toBe(0);
  }, 150_000);

  it.concurrent.each(programs.map((p) => [p.id, p] as const))(
    '%s runs',
    async (_id, program) => {
      const needsNats = program.files.some((f) => f.text.includes(NATS_PLACEHOLDER));
      if (needsNats && !natsServerAvailable()) return;
      const result = await limit(() => (needsNats ? natsLimit(() => run(program)) : run(program)));
      const where = `${program.id} (${program.files.map((f) => f.name).join(', ')}): exit ${result.code ?? result.signal}\n${result.stderr}`;
      expect(result.code, where).toBe(0);
      for (const printed of program.prints) expect(result.stdout, where).toContain(printed);
    },
    120_000,
  );
});
