/**
 * @parajob/child-process end to end: real parent processes, real signals, a real SIGKILL of the
 * parent, and a TypeScript task module through tsx.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { alive } from '../helpers/processes.js';

const fixtures = fileURLToPath(new URL('../fixtures/child-process/', import.meta.url));
const e2eRoot = fileURLToPath(new URL('..', import.meta.url));
const started: ChildProcess[] = [];

afterEach(() => {
  for (const child of started.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

function start(args: string[]): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: string | null }>;
} {
  const child = spawn(process.execPath, args, { cwd: e2eRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => out, exited };
}

/** Waits (bounded) until the output matches. */
async function waitFor(output: () => string, pattern: RegExp, ms = 30_000): Promise<RegExpMatchArray> {
  const end = Date.now() + ms;
  for (;;) {
    const m = output().match(pattern);
    if (m) return m;
    if (Date.now() > end) throw new Error(`timed out waiting for ${pattern} in:\n${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every pid gone within ~10 s (bounded loop; no timing assertion beyond the bound). */
async function allGone(pids: number[]): Promise<number[]> {
  const end = Date.now() + 10_000;
  while (Date.now() < end && pids.some(alive)) await new Promise((r) => setTimeout(r, 100));
  return pids.filter(alive);
}

async function workerPids(output: () => string): Promise<number[]> {
  const [, json] = await waitFor(output, /PIDS (\[[^\]]*\])/);
  const pids = JSON.parse(json!) as number[];
  expect(pids.length).toBeGreaterThanOrEqual(1);
  expect(pids.every(alive)).toBe(true);
  return pids;
}

describe('child-process backend, end to end', () => {
  it("workers' stdout and stderr reach the parent's, and the idle pool does not keep the parent alive", async () => {
    const run = start([`${fixtures}output.mjs`]);
    const { code } = await run.exited;
    expect(code).toBe(0);
    const [, pid] = await waitFor(run.output, /hello from a task \(from worker (\d+)\)/);
    expect(Number(pid)).not.toBe(run.child.pid);
    expect(run.output()).toContain('stderr: hello from a task');
    expect(run.output()).toMatch(/PARENT DONE \[\d+\]/);
  });

  it('TypeScript task modules work when the parent runs with --import tsx (workers inherit execArgv)', async () => {
    const run = start(['--import', 'tsx', `${fixtures}ts-main.ts`]);
    const { code } = await run.exited;
    expect(run.output()).toContain('NORMS [5,10]');
    expect(code).toBe(0);
  });

  it('no orphans: SIGKILL of the parent while its workers are idle', async () => {
    const run = start([`${fixtures}orphans.mjs`, 'idle']);
    const pids = await workerPids(run.output);
    run.child.kill('SIGKILL');
    await run.exited;
    expect(await allGone(pids)).toEqual([]);
  });

  it('no orphans: SIGKILL of the parent while its workers spin in a loop that never yields', async () => {
    const run = start([`${fixtures}orphans.mjs`, 'busy']);
    const pids = await workerPids(run.output);
    await waitFor(run.output, /SPINNING \d+[\s\S]*SPINNING \d+/);
    run.child.kill('SIGKILL');
    await run.exited;
    expect(await allGone(pids)).toEqual([]);
  });

  it('no orphans: the parent dies of an uncaught exception while its workers are busy', async () => {
    const run = start([`${fixtures}orphans.mjs`, 'crash']);
    const pids = await workerPids(run.output);
    const { code } = await run.exited;
    expect(code).toBe(1);
    expect(run.output()).toContain('the parent crashes');
    expect(await allGone(pids)).toEqual([]);
  });
});
