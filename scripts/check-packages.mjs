// Checks every publishable workspace package as it would be published: packs it (`npm pack`, whose
// `prepack` builds it), then checks the tarball — metadata, README links, declaration maps,
// self-contained .d.ts files — and runs publint and arethetypeswrong (esm-only profile: the
// packages are ESM-only, and their READMEs say how CommonJS code uses them) on it.
//
// Usage: node scripts/check-packages.mjs [--ignore-scripts]   (exit 1 when a check fails)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { typesTargets } from './node-types-reference.mjs';
import { packPackages, publishablePackages, ROOT } from './workspaces.mjs';

const REPO = 'https://github.com/parajob/parajob';
// root devDependencies: their `bin` links (the packages export no package.json to resolve)
const ATTW = join(ROOT, 'node_modules/.bin/attw');
const PUBLINT = join(ROOT, 'node_modules/.bin/publint');

/** A tarball's files: path (without the leading `package/`) → text. */
function tarballFiles(tgz) {
  const list = execFileSync('tar', ['-tzf', tgz], { encoding: 'utf8' }).split('\n').filter(Boolean);
  const read = (path) => execFileSync('tar', ['-xzOf', tgz, path], { encoding: 'utf8', maxBuffer: 1 << 28 });
  return { paths: list.map((p) => p.replace(/^package\//, '')), read: (p) => read(`package/${p}`) };
}

function checkMetadata(p, problems) {
  const { pkg, dir } = p;
  if (typeof pkg.scripts?.prepack !== 'string')
    problems.push('no "prepack" script: a fresh clone would pack no dist/');
  if (pkg.repository?.url !== `git+${REPO}.git` || pkg.repository?.directory !== dir)
    problems.push(`"repository" must be { type: "git", url: "git+${REPO}.git", directory: "${dir}" }`);
  if (typeof pkg.homepage !== 'string' || !pkg.homepage.startsWith(REPO))
    problems.push('"homepage" is missing');
  if (typeof pkg.bugs?.url !== 'string') problems.push('"bugs" is missing');
}

function checkTarball(tgz, pkg, problems) {
  const { paths, read } = tarballFiles(tgz);
  const shipped = new Set(paths);
  if (!paths.some((path) => path.startsWith('dist/'))) problems.push('the tarball holds no dist/');
  const readme = shipped.has('README.md') ? read('README.md') : '';
  if (!readme) problems.push('no README.md');
  for (const [, target] of readme.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (!/^(https?:|mailto:|#)/.test(target))
      problems.push(
        `README.md links to '${target}', which is broken on the registry: use ${REPO}/blob/main/...`,
      );
  }
  if (!/ESM-only/.test(readme)) problems.push('README.md does not say the package is ESM-only');
  let usesNode = null;
  for (const path of paths) {
    if (path.endsWith('.d.ts.map'))
      problems.push(`${path}: a declaration map, but the sources are not shipped`);
    if (path.endsWith('.js.map')) {
      const map = JSON.parse(read(path));
      if (!Array.isArray(map.sourcesContent) || map.sourcesContent.some((s) => typeof s !== 'string'))
        problems.push(`${path}: a source map without its sources (sourcesContent)`);
    }
    if (path.endsWith('.d.ts') && usesNodeTypes(read(path))) usesNode = path;
  }
  // a consumer compiled with `types: []` loads Node's types only when an entry declaration asks
  if (usesNode !== null) {
    for (const target of typesTargets(pkg.exports)) {
      const path = target.replace(/^\.\//, '');
      if (shipped.has(path) && !read(path).startsWith('/// <reference types="node" />'))
        problems.push(
          `${path}: ${usesNode} uses Node's types, but this entry has no /// <reference types="node" />`,
        );
    }
  }
}

const usesNodeTypes = (text) =>
  /\bNodeJS\.|\bAbortSignal\b|\bBuffer\b|from ['"]node:|Symbol\.asyncDispose/.test(text);

/** Runs a checker; its output is shown only when it fails. */
function tool(label, file, args, problems) {
  const r = spawnSync(file, args, { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  const out = `${r.stdout}${r.stderr}`.trim();
  if (r.status !== 0) problems.push(`${label} failed:\n${out.replace(/^/gm, '    ')}`);
  return out;
}

const ignoreScripts = process.argv.includes('--ignore-scripts');
const packages = publishablePackages();
const destination = mkdtempSync(join(tmpdir(), 'parajob-pack-'));
let failed = 0;
try {
  const tarballs = packPackages(
    packages.map((p) => p.name),
    destination,
    { ignoreScripts },
  );
  for (const p of packages) {
    const tgz = tarballs.get(p.name);
    const problems = [];
    checkMetadata(p, problems);
    checkTarball(tgz, p.pkg, problems);
    tool('publint', PUBLINT, ['run', tgz, '--strict', '--level', 'warning'], problems);
    tool('arethetypeswrong', ATTW, [tgz, '--profile', 'esm-only', '--format', 'ascii'], problems);
    if (problems.length) failed++;
    console.log(`${problems.length ? 'FAIL' : 'ok  '} ${p.name} (${p.dir})`);
    for (const problem of problems) console.log(`  - ${problem}`);
  }
} finally {
  rmSync(destination, { recursive: true, force: true });
}
console.log(`check-packages: ${packages.length - failed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
