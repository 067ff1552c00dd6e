/**
 * Every name that an example in the docs imports from 'parajob' is exported by it, and the local
 * backends the docs construct (`new WorkerThreadsBackend(...)`) are among its exports.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as parajob from '../src/index.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const markdown = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
  ...['packages', 'adapters'].flatMap((parent) =>
    readdirSync(join(ROOT, parent)).map((dir) => `${parent}/${dir}/README.md`),
  ),
].flatMap((file) => {
  try {
    return [{ file, text: readFileSync(join(ROOT, file), 'utf8') }];
  } catch {
    return [];
  }
});

/** `import { a, type B, c as d } from 'parajob'` in code blocks → [file, 'a'], [file, 'c'] (values only). */
function importsFromParajob(): Array<[string, string]> {
  const found: Array<[string, string]> = [];
  for (const { file, text } of markdown) {
    for (const [, names] of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'parajob'/g)) {
      for (const spec of names!.split(',')) {
        const name = spec.trim().split(/\s+as\s+/)[0]!;
        if (name && !name.startsWith('type ')) found.push([file, name]);
      }
    }
  }
  return found;
}

describe("the docs' imports from 'parajob'", () => {
  const imports = importsFromParajob();

  it('are found (the extraction works)', () => {
    expect(imports.length).toBeGreaterThan(10);
    expect(imports.map(([, name]) => name)).toContain('Parallel');
  });

  it.each(imports)('%s imports %s, which parajob exports', (_file, name) => {
    expect(parajob).toHaveProperty(name);
  });

  it('exports the local backends and the functions that stop their pools', () => {
    for (const name of [
      'WorkerThreadsBackend',
      'ChildProcessBackend',
      'ThreadsBackend',
      'shutdownWorkerThreadsPools',
      'shutdownChildProcessPools',
    ]) {
      expect(typeof (parajob as Record<string, unknown>)[name]).toBe('function');
    }
  });

  it('every backend class a docs example constructs with new is exported', () => {
    const constructed = new Set<string>();
    // classes the docs define themselves (writing a backend) or import from another package
    const elsewhere = new Set<string>();
    for (const { text } of markdown) {
      for (const [, name] of text.matchAll(/new (\w+Backend)\(/g)) constructed.add(name!);
      for (const [, name] of text.matchAll(/class (\w+Backend)\b/g)) elsewhere.add(name!);
      for (const [, names, from] of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'([^']+)'/g)) {
        if (from === 'parajob') continue;
        for (const spec of names!.split(','))
          elsewhere.add(
            spec
              .trim()
              .split(/\s+as\s+/)
              .at(-1)!,
          );
      }
    }
    // MyBackend: the reader's own class in docs/options.md
    const local = [...constructed].filter((n) => !elsewhere.has(n) && !/^(Nats|Grpc|My)/.test(n));
    expect(local).toContain('ChildProcessBackend');
    for (const name of local) expect(parajob).toHaveProperty(name);
  });
});
