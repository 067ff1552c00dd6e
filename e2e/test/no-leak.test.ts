/**
 * No leak after any exit of the parent: no worker process and no file of the parent's left in the
 * temp folder (the call folders of large shared buffers, the workers' status and report files),
 * checked a few seconds later. The parent shares a large array with workers that spin in a loop
 * that never yields, then exits normally, by an exception, by process.exit, or by SIGINT,
 * SIGTERM or SIGKILL.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { alive } from '../helpers/processes.js';

const fixture = fileURLToPath(new URL('../fixtures/child-process/leaks.mjs', import.meta.url));
const e2eRoot = fileURLToPath(new URL('..', import.meta.url));
const started: ChildProcess[] = [];
const privateTemp = mkdtempSync(join(tmpdir(), 'parajob-e2e-leaks-'));

afterEach(() => {
  for (const child of started.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});
afterAll(() => rmSync(privateTemp, { recursive: true, force: true }));

/** Files and folders of the parent `pid` (its name is in theirs) in the folders parajob writes to. */
function leftovers(pid: number, folders: readonly string[]): string[] {
  return folders.flatMap((folder) =>
    readdirSync(folder)
      .filter((name) => name.startsWith('parajob-') && name.includes(`-${pid}-`))
      .map((name) => join(folder, name)),
  );
}

/** Waits (bounded, ~10 s) until `check` returns an empty list; returns what is still there. */
async function settle<T>(check: () => T[]): Promise<T[]> {
  const end = Date.now() + 10_000;
  while (Date.now() < end && check().length > 0) await new Promise((r) => setTimeout(r, 100));
  return check();
}

async function runParent(mode: string, tempFolder: string | null, signal?: NodeJS.Signals) {
  const env = { ...process.env };
  if (tempFolder === null) delete env.PARAJOB_TEMP_FOLDER;
  else env.PARAJOB_TEMP_FOLDER = tempFolder;
  const child = spawn(process.execPath, [fixture, mode], {
    cwd: e2eRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.on('exit', (code, sig) => resolve({ code, signal: sig })),
  );
  if (signal !== undefined) {
    // killed once both workers spin on the array (they read it from the call's folder first)
    const end = Date.now() + 30_000;
    while ((out.match(/SPINNING/g) ?? []).length < 2 && Date.now() < end)
      await new Promise((r) => setTimeout(r, 50));
    expect(out.match(/SPINNING/g)).toHaveLength(2);
    child.kill(signal);
  }
  const how = await exited;
  const pids = JSON.parse(/PIDS (\[[^\]]*\])/.exec(out)?.[1] ?? '[]') as number[];
  expect(pids.length, out).toBeGreaterThanOrEqual(1);
  return { how, pids, out, pid: child.pid! };
}

const exits: Array<[string, string, NodeJS.Signals | undefined]> = [
  ['normal exit', 'normal', undefined],
  ['uncaught exception', 'throw', undefined],
  ['process.exit()', 'exit', undefined],
  ['SIGINT', 'signal', 'SIGINT'],
  ['SIGTERM', 'signal', 'SIGTERM'],
  ['SIGKILL', 'signal', 'SIGKILL'],
];

describe('child-process: nothing is left after any exit of the parent', () => {
  for (const [name, mode, signal] of exits) {
    it(`${name}, large buffers in a private temp folder (PARAJOB_TEMP_FOLDER)`, async () => {
      const { pids, pid, out } = await runParent(mode, privateTemp, signal);
      if (mode === 'normal') expect(out).toContain('SUMS [524288,524288]');
      expect(await settle(() => pids.filter(alive))).toEqual([]);
      expect(await settle(() => leftovers(pid, [privateTemp, '/dev/shm', tmpdir()]))).toEqual([]);
    });
  }

  it('SIGKILL while workers spin on a large array in /dev/shm (the default temp folder)', async () => {
    const { pids, pid } = await runParent('signal', null, 'SIGKILL');
    expect(await settle(() => pids.filter(alive))).toEqual([]);
    expect(await settle(() => leftovers(pid, ['/dev/shm', tmpdir()]))).toEqual([]);
  });
});
