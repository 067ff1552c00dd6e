/**
 * Task module references on the wire (DESIGN §6 security). The driver never sends its absolute
 * paths: a module is named `<package name>/<path inside the package>` (the nearest package.json
 * above the module), or `./<path>` relative to the project root when that package.json has no
 * name. The worker resolves the reference against its own root and its --allow patterns.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { WireFunction } from '@parajob/core/backend';
import { messages } from './messages.js';

interface PackageInfo {
  readonly dir: string;
  readonly name: string | undefined;
}

const packageCache = new Map<string, PackageInfo | null>();

/** The nearest package.json at or above `dir`. */
export function nearestPackage(dir: string): PackageInfo | null {
  const cached = packageCache.get(dir);
  if (cached !== undefined) return cached;
  let found: PackageInfo | null = null;
  const file = join(dir, 'package.json');
  if (existsSync(file)) {
    let name: string | undefined;
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown };
      name = typeof parsed.name === 'string' && parsed.name.length > 0 ? parsed.name : undefined;
    } catch {
      name = undefined;
    }
    found = { dir, name };
  } else if (dirname(dir) !== dir) found = nearestPackage(dirname(dir));
  packageCache.set(dir, found);
  return found;
}

const toPosix = (p: string) => p.split(sep).join('/');

/** Driver side: file: URL of a task module → its wire reference. */
export function toRemoteModule(moduleUrl: string): string {
  const file = realpathSync(fileURLToPath(moduleUrl));
  const pkg = nearestPackage(dirname(file));
  if (pkg === null) throw new Error(messages.driver.notTaskModule(file));
  const rel = toPosix(relative(pkg.dir, file));
  return pkg.name === undefined ? `./${rel}` : `${pkg.name}/${rel}`;
}

/** Rewrites the wire functions of a batch to remote references (cached per module URL). */
export function remoteFunctions(fns: readonly WireFunction[], cache: Map<string, string>): WireFunction[] {
  return fns.map((fn) => {
    if (fn.module === undefined) return fn;
    let ref = cache.get(fn.module);
    if (ref === undefined) cache.set(fn.module, (ref = toRemoteModule(fn.module)));
    return { name: fn.name, module: ref };
  });
}

export interface ModulePolicy {
  /** Project root: the project's own modules resolve here, packages from its node_modules. */
  readonly root: string;
  /** Package-name globs (`@acme/*`, `my-tasks`), or `.` for the root project. Default: the root project. */
  readonly allow?: readonly string[];
}

const globToRegExp = (glob: string) =>
  new RegExp(
    `^${glob
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
      .join('.*')}$`,
  );

/** Worker side: a resolver for runBatch's `resolveModule` that refuses what --allow does not match. */
export function moduleResolver(policy: ModulePolicy): (fn: WireFunction) => string {
  const root = realpathSync(resolve(policy.root));
  const rootPkg = existsSync(join(root, 'package.json')) ? nearestPackage(root) : null;
  const rootName = rootPkg?.name;
  const allow = policy.allow && policy.allow.length > 0 ? [...policy.allow] : ['.'];
  const patterns = allow.map((a) => (a === '.' ? null : globToRegExp(a)));
  const resolved = new Map<string, string>();

  const packageDir = (name: string, ref: string, fnName: string): string => {
    if (name === rootName) return root;
    for (let dir = root; ; dir = dirname(dir)) {
      const candidate = join(dir, 'node_modules', name);
      if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
      if (dirname(dir) === dir) break;
    }
    throw new Error(messages.worker.notFound(ref, fnName, root));
  };

  return (fn) => {
    const ref = fn.module!;
    const hit = resolved.get(ref);
    if (hit !== undefined) return hit;
    if (
      typeof ref !== 'string' ||
      ref.includes('\\') ||
      ref.includes('\0') ||
      isAbsolute(ref) ||
      /^[a-z][a-z0-9+.-]*:/i.test(ref)
    ) {
      throw new Error(messages.worker.badRef(String(ref), fn.name));
    }
    let name: string | undefined;
    let rel: string;
    if (ref.startsWith('./')) rel = ref.slice(2);
    else {
      const parts = ref.split('/');
      const scoped = ref.startsWith('@');
      name = scoped ? `${parts[0]}/${parts[1]}` : parts[0];
      rel = parts.slice(scoped ? 2 : 1).join('/');
      if (!name || !/^(@[a-z0-9._~-]+\/)?[a-z0-9._~-]+$/i.test(name))
        throw new Error(messages.worker.badRef(ref, fn.name));
    }
    if (rel.length === 0 || rel.split('/').some((s) => s === '..' || s === '.' || s === '')) {
      throw new Error(messages.worker.badRef(ref, fn.name));
    }
    const isRootProject = name === undefined || name === rootName;
    const allowed = patterns.some((p) => (p === null ? isRootProject : name !== undefined && p.test(name)));
    if (!allowed) throw new Error(messages.worker.refused(ref, fn.name, allow));
    const dir = name === undefined ? root : packageDir(name, ref, fn.name);
    let file: string;
    try {
      file = realpathSync(join(dir, ...rel.split('/')));
    } catch {
      throw new Error(messages.worker.notFound(ref, fn.name, root));
    }
    // a symlink inside the package must not lead outside it
    if (relative(dir, file).startsWith('..')) throw new Error(messages.worker.badRef(ref, fn.name));
    const url = pathToFileURL(file).href;
    resolved.set(ref, url);
    return url;
  };
}
