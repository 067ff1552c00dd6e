/**
 * The packages as a user gets them: packed with `npm pack`, installed from the tarballs into a
 * fresh project outside the repository, then used from ESM, CommonJS (require(esm)) and
 * TypeScript (module nodenext, `types: []`: the declarations must be self-contained).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packPackages, ROOT } from '../../scripts/workspaces.mjs';

const FIXTURES = fileURLToPath(new URL('../fixtures/packed/', import.meta.url));
// parajob and what it depends on; their own dependencies (piscina) come from the npm cache or registry
const PACKAGES = [
  'parajob',
  '@parajob/core',
  '@parajob/worker-threads',
  '@parajob/child-process',
  '@parajob/threads',
];
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
let folder: string;
let app: string;

function node(args: string[]) {
  return spawnSync(process.execPath, args, { cwd: app, encoding: 'utf8', timeout: 60_000 });
}

beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'parajob-packed-'));
  const tarballs = join(folder, 'tarballs');
  mkdirSync(tarballs);
  // dist/ is built (turbo runs the packages' builds before this test): pack without running prepack again
  const packed = packPackages(PACKAGES, tarballs, { ignoreScripts: true });
  app = join(folder, 'app');
  cpSync(FIXTURES, app, { recursive: true });
  const dependencies = Object.fromEntries([...packed].map(([name, tgz]) => [name, `file:${tgz}`]));
  const typesNode = JSON.parse(
    execFileSync('npm', ['pkg', 'get', 'devDependencies.@types/node'], { cwd: ROOT, encoding: 'utf8' }),
  ) as string;
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({
      name: 'app',
      private: true,
      dependencies,
      devDependencies: { '@types/node': typesNode },
    }),
  );
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], {
    cwd: app,
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 300_000,
  });
}, 360_000);

afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('the packed packages installed in a fresh project', () => {
  it('ship dist/ and no sources', () => {
    const core = join(app, 'node_modules', '@parajob', 'core');
    expect(readdirSync(core).sort()).toEqual(['README.md', 'dist', 'package.json']);
  });

  it('run from ESM, on every local backend that parajob exports', () => {
    const r = node(['main.mjs']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const squares = [1, 4, 9, 16];
    expect(JSON.parse(r.stdout)).toEqual({ default: squares, 'child-process': squares, threads: squares });
  });

  it('run from CommonJS with require()', () => {
    const r = node(['main.cjs']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([10, 20, 30]);
  });

  it('type-check and run from TypeScript (module nodenext, types: [], skipLibCheck off)', () => {
    const tsc = node([TSC, '-p', 'tsconfig.json']);
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
    const esm = node(['out/main.mjs']);
    expect(esm.stderr).toBe('');
    expect(JSON.parse(esm.stdout)).toEqual([1, 8, 27]);
    const cjs = node(['out/check.cjs']);
    expect(cjs.stderr).toBe('');
    expect(JSON.parse(cjs.stdout)).toEqual({ cpus: true, parallel: 'function' });
  });
});
