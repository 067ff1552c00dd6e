/**
 * Bundling with esbuild as docs/bundling.md says (task modules as entry points, splitting,
 * keepNames, parajob external), minified; and the error when the task module is merged in.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const FIXTURES = fileURLToPath(new URL('../fixtures/bundling/', import.meta.url));
const NODE_MODULES = fileURLToPath(new URL('../../node_modules', import.meta.url));
let app: string;

const COMMON: BuildOptions = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  logLevel: 'silent',
};

function run(script: string) {
  return spawnSync(process.execPath, [script], { cwd: app, encoding: 'utf8', timeout: 60_000 });
}

beforeAll(() => {
  app = mkdtempSync(join(tmpdir(), 'parajob-bundle-'));
  // the bundle's external imports (parajob) resolve from the app's node_modules
  symlinkSync(NODE_MODULES, join(app, 'node_modules'), 'dir');
});

afterAll(() => rmSync(app, { recursive: true, force: true }));

describe('an app bundled with esbuild', () => {
  it('runs its tasks on workers when task modules are entry points, names kept under minify', async () => {
    await build({
      ...COMMON,
      entryPoints: [join(FIXTURES, 'main.ts'), join(FIXTURES, 'tasks.ts')],
      outdir: join(app, 'dist'),
      splitting: true,
      keepNames: true,
      minify: true,
    });
    const r = run(join(app, 'dist', 'main.js'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ results: [1, 4, 9, 16], name: 'square' });
  });

  it('a bundle with the task module merged in fails at once, pointing to docs/bundling.md', async () => {
    await build({ ...COMMON, entryPoints: [join(FIXTURES, 'main.ts')], outdir: join(app, 'merged') });
    const r = run(join(app, 'merged', 'main.js'));
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      // without keepNames esbuild renames the function (square → square2): the docs ask for keepNames
      /task 'square2?' is defined in the program's entry script .*main\.js\), which is a bundle/,
    );
    expect(r.stderr).toMatch(/its own entry point.*docs\/bundling\.md/s);
  });
});
