// Makes a package's entry declarations self-contained: they use Node's types (AbortSignal, the
// NodeJS namespace, node: modules, Symbol.asyncDispose), which a consumer compiled with
// `types: []` does not load unless a declaration asks for them. Each `types` target of the
// package's `exports` gets `/// <reference types="node" />` (TypeScript drops such directives from
// emitted declarations, so it is added after tsc).
//
// Usage (in a package folder, after tsc): node ../../scripts/node-types-reference.mjs
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DIRECTIVE = '/// <reference types="node" />';

/** The `types` targets of an `exports` map, e.g. ['./dist/index.d.ts']. */
export function typesTargets(exports) {
  if (typeof exports !== 'object' || exports === null) return [];
  return Object.entries(exports).flatMap(([key, value]) =>
    key === 'types' && typeof value === 'string' ? [value] : typesTargets(value),
  );
}

export function addNodeTypesReference(packageDir = process.cwd()) {
  const pkg = JSON.parse(readFileSync(`${packageDir}/package.json`, 'utf8'));
  for (const target of new Set(typesTargets(pkg.exports))) {
    const file = `${packageDir}/${target}`;
    if (!existsSync(file))
      throw new Error(`${pkg.name}: exports names ${target}, which the build did not emit`);
    const text = readFileSync(file, 'utf8');
    if (!text.startsWith(DIRECTIVE)) writeFileSync(file, `${DIRECTIVE}\n${text}`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) addNodeTypesReference();
