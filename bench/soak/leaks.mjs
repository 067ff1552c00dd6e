/** What the soak checks is left behind: processes under this one, call folders, NATS blobs. */
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childrenOf } from '../lib/proctree.mjs';

const BASES = [
  process.env.PARAJOB_TEMP_FOLDER,
  existsSync('/dev/shm') ? '/dev/shm' : undefined,
  tmpdir(),
].filter(Boolean);

/** Call folders and worker files (status, fatal reports) of the process `pid` in the temp folders. */
export function filesOf(pid) {
  return BASES.flatMap((base) =>
    readdirSync(base)
      .filter(
        (name) =>
          name.startsWith('parajob-') && name.includes(`-${pid}-`) && !name.startsWith('parajob-soak-'),
      )
      .map((name) => join(base, name)),
  );
}

export function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/** Child processes of this process (nats-server and NATS workers excluded by the caller). */
export function children(except = new Set()) {
  return childrenOf(process.pid).filter((pid) => !except.has(pid));
}

/** Polls `check` (a list of leftovers) until it is empty or `ms` passed; returns what is left. */
export async function settled(check, ms = 5_000) {
  const end = Date.now() + ms;
  let left = await check();
  while (left.length > 0 && Date.now() < end) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    left = await check();
  }
  return left;
}
