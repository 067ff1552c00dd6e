import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeDeadOwnersFolders, removeOwnerFolders, tempFolderBases } from '../src/temp-folder.js';

const base = mkdtempSync(join(tmpdir(), 'parajob-sweep-test-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** A pid that belonged to a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(child.stdout);
}

describe('call folders of dead parents', () => {
  it('a parent sweeps the folders whose owner is dead, never a live one nor other files', () => {
    const dead = deadPid();
    const names = [
      `parajob-${dead}-abcDEF`,
      `parajob-${process.pid}-abcdef`,
      'parajob-1-abcdef',
      'parajob-status-9-1',
    ];
    for (const name of names) mkdirSync(join(base, name));
    expect(removeDeadOwnersFolders(base)).toBe(1);
    expect(readdirSync(base).sort()).toEqual(names.slice(1).sort());
    for (const name of names.slice(1)) rmSync(join(base, name), { recursive: true });
  });

  it("a worker removes every folder of its dead parent, and only its parent's", () => {
    mkdirSync(join(base, 'parajob-4242-aaaaaa', 'x'), { recursive: true });
    mkdirSync(join(base, 'parajob-4243-bbbbbb'));
    removeOwnerFolders(4242, [base, join(base, 'missing')]);
    expect(existsSync(join(base, 'parajob-4242-aaaaaa'))).toBe(false);
    expect(existsSync(join(base, 'parajob-4243-bbbbbb'))).toBe(true);
  });

  it('looks in PARAJOB_TEMP_FOLDER, /dev/shm and the system temp folder', () => {
    expect(tempFolderBases({ PARAJOB_TEMP_FOLDER: '/x' })).toEqual(expect.arrayContaining(['/x', tmpdir()]));
  });
});
