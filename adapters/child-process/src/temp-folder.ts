/**
 * Where large buffers are written (DESIGN §2 `tempFolder`): the call's tempFolder, else
 * PARAJOB_TEMP_FOLDER, else /dev/shm when it exists and has room (memory, no disk I/O), else
 * the system temp dir.
 */
import { existsSync, readdirSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SHM = '/dev/shm';
/** joblib uses /dev/shm only when it is at least 2 GB; we also ask for twice what is about to be written. */
const SHM_MIN_FREE = 2e9;

export function shmFreeBytes(path = SHM): number {
  try {
    if (!existsSync(path)) return 0;
    const s = statfsSync(path);
    return s.bavail * s.bsize;
  } catch {
    return 0;
  }
}

export function resolveTempFolder(
  configured: string | null,
  neededBytes: number,
  env: NodeJS.ProcessEnv = process.env,
  freeShm: (path?: string) => number = shmFreeBytes,
): string {
  if (configured) return configured;
  if (env.PARAJOB_TEMP_FOLDER) return env.PARAJOB_TEMP_FOLDER;
  if (freeShm(SHM) >= Math.max(SHM_MIN_FREE, 2 * neededBytes)) return SHM;
  return tmpdir();
}

/** The temp folders a call folder lands in when no tempFolder option is given (where orphans are looked for). */
export function tempFolderBases(env: NodeJS.ProcessEnv = process.env): string[] {
  const bases = [env.PARAJOB_TEMP_FOLDER, existsSync(SHM) ? SHM : undefined, tmpdir()];
  return [...new Set(bases.filter((b): b is string => typeof b === 'string' && b !== ''))];
}

/** A call folder: `parajob-<owner pid>-<mkdtemp suffix>`. */
const CALL_FOLDER = /^parajob-(\d+)-[A-Za-z0-9]{6}$/;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, someone else's
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Deletes the call folders in `base` whose owner process is dead: a parent killed while no
 * worker of its could clean up for it. Run once per base by each parent, when it first writes
 * there. A folder whose owner pid was reused by a live process stays (never delete a live one's).
 */
export function removeDeadOwnersFolders(base: string, self: number = process.pid): number {
  let names: string[];
  try {
    names = readdirSync(base);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const owner = Number(CALL_FOLDER.exec(name)?.[1] ?? Number.NaN);
    if (!Number.isInteger(owner) || owner === self || isAlive(owner)) continue;
    rmSync(join(base, name), { recursive: true, force: true });
    removed++;
  }
  return removed;
}

/** Deletes every call folder of the (dead) parent `owner` in `bases` (a worker cleaning up for it). */
export function removeOwnerFolders(owner: number, bases: readonly string[]): void {
  const prefix = `parajob-${owner}-`;
  for (const base of bases) {
    let names: string[] = [];
    try {
      names = readdirSync(base);
    } catch {
      // a base that does not exist holds nothing
    }
    for (const name of names)
      if (name.startsWith(prefix)) rmSync(join(base, name), { recursive: true, force: true });
  }
}
