// Builds a package's dist/: declarations with tsc, code bundled with esbuild.
//
// Entries are the package's `exports` (./dist/X.js ← src/X.ts) plus any files given as arguments
// (worker scripts that are loaded by path, e.g. src/worker.ts). Bundling uses splitting, so the
// entries share modules through chunks (one instance of each module per process), and every
// dependency stays external. A program — and every worker thread or process it starts — then loads
// a few files per package instead of dozens: module loading was most of the import time.
//
// Usage (in a package folder): node ../../scripts/build-package.mjs [src/extra-entry.ts ...]
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { build } from 'esbuild';
import { addNodeTypesReference } from './node-types-reference.mjs';

const require = createRequire(`${process.cwd()}/`);
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

const targets = (value) =>
  typeof value === 'string'
    ? [value]
    : value && typeof value === 'object'
      ? Object.values(value).flatMap(targets)
      : [];
const entries = new Set(process.argv.slice(2));
for (const target of targets(pkg.exports)) {
  const m = /^\.\/dist\/(.+)\.js$/.exec(target);
  if (m) entries.add(`src/${m[1]}.ts`);
}

rmSync('dist', { recursive: true, force: true });
execFileSync(
  process.execPath,
  // no declaration maps: they would point to src/, which packages do not ship
  [
    require.resolve('typescript/bin/tsc'),
    '-p',
    'tsconfig.build.json',
    '--emitDeclarationOnly',
    '--declarationMap',
    'false',
  ],
  {
    stdio: 'inherit',
  },
);
addNodeTypesReference();
await build({
  entryPoints: [...entries],
  outdir: 'dist',
  outbase: 'src',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  packages: 'external',
  // task() names default to fn.name: bundling must not rename functions
  keepNames: true,
  logLevel: 'warning',
});
