// The repository's workspace packages, found from the root package.json's `workspaces` globs, so a
// new package is checked and packed without being listed anywhere else. Shared by
// scripts/check-packages.mjs and the e2e tests that install the packed tarballs.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

/** Every workspace package: `{ name, dir (relative to the root), path, pkg }`. */
export function workspacePackages(root = ROOT) {
  const globs = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).workspaces ?? [];
  const dirs = globs.flatMap((glob) => {
    if (!glob.endsWith('/*')) return [glob];
    const parent = glob.slice(0, -2);
    return readdirSync(join(root, parent), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `${parent}/${entry.name}`);
  });
  return dirs
    .filter((dir) => existsSync(join(root, dir, 'package.json')))
    .map((dir) => {
      const pkg = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
      return { name: pkg.name, dir, path: join(root, dir), pkg };
    });
}

/** The workspace packages that are published (not `private`). */
export function publishablePackages(root = ROOT) {
  return workspacePackages(root).filter((p) => !p.pkg.private);
}

/**
 * Packs each named package into `destination` (`npm pack`, which runs its `prepack` build unless
 * `ignoreScripts`) and returns name → tarball path.
 */
export function packPackages(names, destination, { ignoreScripts = false, root = ROOT } = {}) {
  const tarballs = new Map();
  for (const name of names) {
    const args = ['pack', '--json', '--pack-destination', destination, '--workspace', name];
    if (ignoreScripts) args.push('--ignore-scripts');
    const out = execFileSync('npm', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    // lifecycle output may precede the JSON array on stdout
    const [entry] = JSON.parse(out.slice(out.indexOf('\n[') + 1 || out.indexOf('[')));
    tarballs.set(name, join(destination, entry.filename));
  }
  return tarballs;
}
