/** A throwaway project on disk for policy tests: own modules, installed packages, hostile symlinks. */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface Project {
  readonly root: string;
  readonly outside: string;
  remove(): void;
}

function write(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

export function makeProject(): Project {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'parajob-remote-')));
  const root = join(base, 'app');
  const outside = join(base, 'outside');
  write(join(outside, 'secret.js'), 'export const secret = () => 42;\n');
  write(join(root, 'package.json'), JSON.stringify({ name: 'app', type: 'module' }));
  write(join(root, 'src/tasks.js'), 'export const ok = () => 1;\n');
  // an installed package with a dangerous export, and a well-behaved one with an exports map
  write(join(root, 'node_modules/evil/package.json'), JSON.stringify({ name: 'evil', main: 'index.js' }));
  write(join(root, 'node_modules/evil/index.js'), 'export const run = () => 1;\n');
  write(
    join(root, 'node_modules/@acme/tasks/package.json'),
    JSON.stringify({
      name: '@acme/tasks',
      exports: { '.': './dist/index.js', './jobs/*': { types: './x.d.ts', import: './dist/jobs/*.js' } },
    }),
  );
  write(join(root, 'node_modules/@acme/tasks/dist/index.js'), 'export const t = 1;\n');
  write(join(root, 'node_modules/@acme/tasks/dist/jobs/a.js'), 'export const a = 1;\n');
  write(join(root, 'node_modules/@acme/tasks/dist/hidden.js'), 'export const h = 1;\n');
  // symlinks: one leaving the root, one into node_modules, one leaving a package
  symlinkSync(join(outside, 'secret.js'), join(root, 'src/leak.js'));
  symlinkSync(join(root, 'node_modules/evil/index.js'), join(root, 'src/evil-link.js'));
  symlinkSync(join(outside, 'secret.js'), join(root, 'node_modules/@acme/tasks/dist/jobs/leak.js'));
  return { root, outside, remove: () => rmSync(base, { recursive: true, force: true }) };
}
