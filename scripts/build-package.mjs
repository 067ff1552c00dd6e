// Builds a package's dist/: declarations with tsc, code bundled with esbuild.
//
// Entries are the package's `exports` (./dist/X.js ← src/X.ts) plus any files given as arguments
// (worker scripts that are loaded by path, e.g. src/worker.ts). Every dependency stays external.
//
// Default mode: one esbuild build with splitting, so the entries share modules through chunks (one
// instance of each module per process) and a program loads a few files per package instead of
// dozens: module loading was most of the import time.
//
// `--one-file` (the packages every `import 'parajob'` loads, in the program and in each worker):
// each entry is bundled on its own into one file, without chunks, because the cost of an ES module
// at start is mostly per file, not per byte (resolving, reading, compiling, linking each one). An
// import of a sibling entry (`./index.js` from register.ts) stays an import of that entry's file,
// so the sibling's state exists once. `--shared src/all.ts` names a module that re-exports several
// entries (`export * from './index.js'` …): it is bundled into dist/all.js and those entries
// become one-line re-exports of it, so entries that share state (core's index, internal, backend)
// still share one instance of every module. A module bundled into two files (e.g. the messages of
// a worker script and of the package's index) must hold no state that both need: the build lists
// such modules.
//
// Usage (in a package folder): node ../../scripts/build-package.mjs [--one-file [--shared src/all.ts]] [src/extra-entry.ts ...]
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
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
const args = process.argv.slice(2);
const oneFile = args.includes('--one-file');
const sharedAt = args.indexOf('--shared');
const shared = sharedAt === -1 ? undefined : args[sharedAt + 1];
if (shared !== undefined && !oneFile) throw new Error('build-package: --shared needs --one-file');
const entries = new Set(
  args.filter((a, i) => !a.startsWith('--') && (sharedAt === -1 || i !== sharedAt + 1)),
);
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
const common = {
  outdir: 'dist',
  outbase: 'src',
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  // task() names default to fn.name: bundling must not rename functions
  keepNames: true,
  logLevel: 'warning',
};

if (oneFile) await buildOneFile();
else await build({ ...common, entryPoints: [...entries], splitting: true, sourcemap: true });

async function buildOneFile() {
  const abs = (file) => resolve(file);
  // entries re-exported by the shared module: they become re-exports of its bundle
  const facades = new Set();
  if (shared !== undefined) {
    for (const m of readFileSync(shared, 'utf8').matchAll(/^export \* from '(\.\/[^']+)\.js';$/gm))
      facades.add(abs(join(dirname(shared), `${m[1]}.ts`)));
    for (const f of facades)
      if (![...entries].some((e) => abs(e) === f))
        throw new Error(
          `build-package: ${shared} re-exports ${f}, which is not an entry of package.json exports`,
        );
  }
  const entryFiles = new Set([...entries, ...(shared === undefined ? [] : [shared])].map(abs));
  // an import of another entry (or of the shared module) stays an import of its file in dist/
  const siblingsExternal = (self) => ({
    name: 'sibling-entries-external',
    setup(b) {
      b.onResolve({ filter: /^\.\.?\// }, (a) => {
        const target = abs(join(a.resolveDir, a.path.replace(/\.js$/, '.ts')));
        if (target === self || !entryFiles.has(target)) return undefined;
        if (facades.has(target)) {
          // the shared module holds the facades' code; anyone else imports it from the shared file
          if (self === abs(shared)) return undefined;
          return { path: relativeImport(self, abs(shared)), external: true };
        }
        return { path: a.path, external: true };
      });
    },
  });
  const bundled = [...entries].filter((e) => !facades.has(abs(e)));
  if (shared !== undefined) bundled.push(shared);
  const inputsOf = new Map();
  let sharedExports = new Set();
  for (const entry of bundled) {
    const result = await build({
      ...common,
      entryPoints: [entry],
      sourcemap: true,
      metafile: true,
      plugins: [siblingsExternal(abs(entry))],
    });
    const out = Object.values(result.metafile.outputs).find((o) => o.entryPoint !== undefined);
    inputsOf.set(entry, Object.keys(out.inputs));
    if (entry === shared) sharedExports = new Set(out.exports);
  }
  if (shared !== undefined) {
    // each facade entry re-exports its own names from the shared bundle
    const analysis = await build({
      ...common,
      entryPoints: [...facades],
      splitting: true,
      write: false,
      metafile: true,
      outdir: 'dist',
    });
    for (const o of Object.values(analysis.metafile.outputs)) {
      if (o.entryPoint === undefined) continue;
      const entry = abs(o.entryPoint);
      const missing = o.exports.filter((n) => !sharedExports.has(n));
      if (missing.length > 0)
        throw new Error(
          `build-package: ${shared} does not export ${missing.join(', ')} of ${o.entryPoint} (a name two entries export differently?)`,
        );
      const outFile = join('dist', relative('src', entry).replace(/\.ts$/, '.js'));
      const from = relativeImport(entry, abs(shared));
      // loading the shared bundle runs every entry's module body (core's index registers 'sequential')
      writeFileSync(
        outFile,
        o.exports.length === 0
          ? `import '${from}';\n`
          : `export { ${o.exports.join(', ')} } from '${from}';\n`,
      );
    }
  }
  // modules in two files: listed, since each file has its own instance of them
  const owners = new Map();
  for (const [entry, inputs] of inputsOf)
    for (const input of inputs) owners.set(input, [...(owners.get(input) ?? []), entry]);
  const twice = [...owners].filter(([, list]) => list.length > 1);
  // the shared bundle exists so that its modules have one instance: another file must import them
  // through an entry (core's testing/*.ts import '../index.js', not '../parallel.js')
  const split = twice.filter(([, list]) => list.includes(shared));
  if (split.length > 0)
    throw new Error(
      `build-package: ${split.map(([m]) => relative('.', m)).join(', ')} would exist twice, in ${shared}'s bundle and in ${split[0][1].filter((e) => e !== shared).join(', ')}: import it through an entry the shared module re-exports`,
    );
  if (twice.length > 0)
    console.log(
      `build-package (${pkg.name}): bundled into several files (stateless, or state each file may own): ${twice.map(([m, list]) => `${relative('.', m)} (${list.map((e) => relative('src', e)).join(', ')})`).join('; ')}`,
    );
}

/** `./x.js`-style specifier from the dist file of entry `from` to the dist file of `to` (both src paths). */
function relativeImport(from, to) {
  const rel = relative(dirname(from), to).replace(/\.ts$/, '.js');
  return rel.startsWith('.') ? rel : `./${rel}`;
}
