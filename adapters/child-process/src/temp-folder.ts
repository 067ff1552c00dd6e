/**
 * Where large buffers are written (DESIGN §2 `tempFolder`): the call's tempFolder, else
 * PARAJOB_TEMP_FOLDER, else /dev/shm when it exists and has room (memory, no disk I/O), else
 * the system temp dir.
 */
import { existsSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';

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
