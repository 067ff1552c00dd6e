/**
 * Driver side: the one wire name of a task module, used by every remote driver (nats, grpc), so
 * every worker accepts the same names. Workers never receive absolute paths or URLs: a module of the driver's project is `./` + its path relative to the
 * project root (the nearest package.json above the working directory, or options.root), and a
 * module of another package is that package's name plus the `exports` subpath that maps to it
 * (`@parajob/core/testing/tasks`). Each worker resolves the name under its own --root.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WireFunction } from '@parajob/core/backend';
import { messages } from './messages.js';

interface PackageInfo {
  readonly dir: string;
  readonly name?: string;
  readonly exports?: unknown;
}

const packageCache = new Map<string, PackageInfo | null>();

function realpath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** The nearest directory at or above `start` that has a package.json. */
export function nearestPackageDir(start: string): string | undefined {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function packageOf(file: string): PackageInfo | null {
  const dir = nearestPackageDir(dirname(file));
  if (dir === undefined) return null;
  let info = packageCache.get(dir);
  if (info === undefined) {
    try {
      const json = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: unknown;
        exports?: unknown;
      };
      info = { dir, name: typeof json.name === 'string' ? json.name : undefined, exports: json.exports };
    } catch {
      info = null;
    }
    packageCache.set(dir, info);
  }
  return info;
}

/** String targets of an exports entry, any condition (`import`, `node`, `default`...). */
function targets(entry: unknown): string[] {
  if (typeof entry === 'string') return [entry];
  if (Array.isArray(entry)) return entry.flatMap(targets);
  if (entry !== null && typeof entry === 'object') {
    return Object.entries(entry)
      .filter(([k]) => k !== 'types')
      .flatMap(([, v]) => targets(v));
  }
  return [];
}

/** The package subpath (`./testing/tasks`) whose export target is `rel` (`./dist/testing/tasks.js`). */
function exportedSubpath(exports: unknown, rel: string): string | undefined {
  if (exports === undefined) return `./${rel}`;
  if (typeof exports === 'string' || Array.isArray(exports))
    return targets(exports).includes(`./${rel}`) ? '.' : undefined;
  if (exports === null || typeof exports !== 'object') return undefined;
  const entries = Object.entries(exports);
  if (!entries.some(([k]) => k.startsWith('.')))
    return targets(exports).includes(`./${rel}`) ? '.' : undefined;
  for (const [key, value] of entries) {
    for (const target of targets(value)) {
      if (!key.includes('*')) {
        if (target === `./${rel}`) return key;
        continue;
      }
      // pattern exports: "./lib/*": "./dist/lib/*.js"
      const [tPre, tPost] = target.split('*') as [string, string | undefined];
      if (tPost === undefined) continue;
      const file = `./${rel}`;
      if (file.startsWith(tPre) && file.endsWith(tPost) && file.length >= tPre.length + tPost.length) {
        return key.replace('*', file.slice(tPre.length, file.length - tPost.length));
      }
    }
  }
  return undefined;
}

export class ModuleNamer {
  private readonly cache = new Map<string, string | Error>();
  private readonly projectRoot: string | undefined;

  constructor(root: string | undefined) {
    const dir = root ?? nearestPackageDir(process.cwd());
    this.projectRoot = dir === undefined ? undefined : realpath(dir);
  }

  /** The wire name of a module URL; throws an Error saying why it cannot be named. */
  name(moduleUrl: string): string {
    let named = this.cache.get(moduleUrl);
    if (named === undefined) {
      try {
        named = this.compute(moduleUrl);
      } catch (error) {
        named = error as Error;
      }
      this.cache.set(moduleUrl, named);
    }
    if (named instanceof Error) throw named;
    return named;
  }

  private compute(moduleUrl: string): string {
    if (!moduleUrl.startsWith('file:')) return moduleUrl;
    const file = realpath(fileURLToPath(moduleUrl));
    const pkg = packageOf(file);
    const root = this.projectRoot;
    // the driver's own project: a path relative to its root
    if (
      root !== undefined &&
      (pkg === null || pkg.dir === root || pkg.name === undefined) &&
      isInside(file, root)
    ) {
      return `./${toPosix(relative(root, file))}`;
    }
    if (pkg === null || pkg.name === undefined) {
      throw new Error(
        messages.driver.unmappable(moduleUrl, 'it is outside the project root and in no named package'),
      );
    }
    const rel = toPosix(relative(pkg.dir, file));
    const subpath = exportedSubpath(pkg.exports, rel);
    if (subpath === undefined) {
      throw new Error(
        messages.driver.unmappable(
          moduleUrl,
          `package ${pkg.name} does not export ./${rel} in its "exports" map`,
        ),
      );
    }
    return subpath === '.' ? pkg.name : `${pkg.name}${subpath.slice(1)}`;
  }
}

function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep) && !/^[a-z]:/i.test(rel);
}

function toPosix(path: string): string {
  return path.split(sep).join('/');
}

/** A batch's functions with their module URLs replaced by wire names (source functions unchanged). */
export function wireFunctions(fns: readonly WireFunction[], namer: ModuleNamer): WireFunction[] {
  return fns.map((fn) => (fn.module === undefined ? fn : { name: fn.name, module: namer.name(fn.module) }));
}
