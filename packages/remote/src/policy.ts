/**
 * Worker side: which task modules a remote worker may import — deny by default. A wire name is
 * `./path` (a file of the root project, never under node_modules) or `<package>[/<subpath>]`
 * (resolved through that package's `exports`); anything else is refused before any file is read.
 * Resolution only: the answer is a file: URL that the pool's threads import, where the function
 * must then be registered with task() (plain exports are never callable). Nothing is imported on
 * the worker's main thread.
 */
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AllowList } from './allow.js';
import { messages } from './messages.js';
import { nearestPackageDir } from './module-name.js';
import { exportTarget, type PackageJson } from './package-exports.js';

/** Which rule refused a name: part of the error (`rule`) so drivers and tests can tell them apart. */
export type RefusalRule =
  | 'malformed'
  | 'builtin'
  | 'url'
  | 'absolute'
  | 'segments'
  | 'node-modules'
  | 'not-allowed'
  | 'not-found'
  | 'not-exported'
  | 'escapes'
  | 'source';

/** A task module or function this worker will not run; the message names the rule and the flag. */
export class RefusedError extends Error {
  override name = 'RefusedError';
  readonly code = 'PARAJOB_REFUSED';
  constructor(
    message: string,
    readonly rule: RefusalRule,
  ) {
    super(message);
  }
}

export interface PolicyOptions {
  /** Where names resolve; default: the nearest package.json at or above the working directory. */
  readonly root?: string;
  /** `--allow` entries (see allow.ts); default: the root project only. */
  readonly allow?: readonly string[];
  /** Run functions shipped as source (`--allow-source`); default false. */
  readonly allowSource?: boolean;
}

const builtins = new Set(builtinModules);
const MAX_NAME = 1024;
/** Resolved names kept; a client sending endless distinct names cannot grow it past this. */
const CACHE_LIMIT = 1024;

export class WorkerPolicy {
  readonly root: string;
  readonly allow: AllowList;
  readonly allowSource: boolean;
  private readonly rootName: string | undefined;
  private readonly cache = new Map<string, string>();

  /** Throws a RangeError naming `--root` or `--allow` when they are unusable. */
  constructor(options: PolicyOptions = {}) {
    this.allow = new AllowList(options.allow ?? []);
    let root = options.root ?? nearestPackageDir(process.cwd());
    if (root === undefined) {
      // no project here: with '.' allowed, the working directory (`/` under many supervisors)
      // would make every file below it a task module; only packages by name are safe to serve
      if (this.allow.rootProject) throw new RangeError(messages.flags.noProject(process.cwd()));
      root = process.cwd();
    }
    let real: string;
    try {
      real = realpathSync(resolve(root));
      if (!statSync(real).isDirectory()) throw new Error('not a directory');
    } catch (error) {
      throw new RangeError(messages.flags.root(root, (error as NodeJS.ErrnoException).code ?? String(error)));
    }
    this.root = real;
    this.allowSource = options.allowSource ?? false;
    const name = readPackage(real)?.name;
    this.rootName = typeof name === 'string' && name.length > 0 ? name : undefined;
  }

  /** The file: URL a wire module name stands for; throws a RefusedError saying which rule refuses it. */
  resolve(ref: unknown): string {
    if (typeof ref === 'string') {
      const hit = this.cache.get(ref);
      if (hit !== undefined) return hit;
    }
    const url = pathToFileURL(this.file(ref)).href;
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(ref as string, url);
    return url;
  }

  /** Throws unless functions shipped as source may run (`--allow-source`). */
  checkSource(name: string): void {
    if (!this.allowSource) throw new RefusedError(messages.refuse.source(name), 'source');
  }

  private file(ref: unknown): string {
    if (typeof ref !== 'string' || ref.length === 0 || ref.length > MAX_NAME || /[\0\\]/.test(ref)) {
      throw new RefusedError(messages.refuse.malformed(ref), 'malformed');
    }
    if (ref.startsWith('node:') || builtins.has(ref) || builtins.has(ref.split('/')[0]!)) {
      throw new RefusedError(messages.refuse.builtin(ref), 'builtin');
    }
    if (/^[a-z][a-z0-9+.-]*:/i.test(ref)) throw new RefusedError(messages.refuse.url(ref), 'url');
    if (isAbsolute(ref) || ref.startsWith('~'))
      throw new RefusedError(messages.refuse.absolute(ref), 'absolute');
    return ref.startsWith('./') ? this.projectFile(ref) : this.packageFile(ref);
  }

  /** `./path`: a file of the root project, outside every node_modules. */
  private projectFile(ref: string): string {
    const segments = ref.slice(2).split('/');
    checkSegments(ref, segments);
    if (segments.includes('node_modules'))
      throw new RefusedError(messages.refuse.nodeModules(ref), 'node-modules');
    if (!this.allow.rootProject) throw new RefusedError(messages.refuse.rootNotAllowed(ref), 'not-allowed');
    const file = this.realFile(ref, join(this.root, ...segments));
    const inRoot = relative(this.root, file);
    if (!isBelow(inRoot)) throw new RefusedError(messages.refuse.escapes(ref, '--root'), 'escapes');
    // a symlink of the project that leads into an installed package is that package, not the project
    if (inRoot.split(sep).includes('node_modules'))
      throw new RefusedError(messages.refuse.nodeModules(ref), 'node-modules');
    return file;
  }

  /** `<package>[/<subpath>]`: a package allowed by name, through its exports. */
  private packageFile(ref: string): string {
    const parts = ref.split('/');
    const scoped = ref.startsWith('@');
    const name = scoped ? `${parts[0]}/${parts[1] ?? ''}` : parts[0]!;
    const rest = parts.slice(scoped ? 2 : 1);
    if (!/^(?:@[a-z0-9~][a-z0-9._~-]*\/)?[a-z0-9~][a-z0-9._~-]*$/i.test(name))
      throw new RefusedError(messages.refuse.malformed(ref), 'malformed');
    if (rest.length > 0) checkSegments(ref, rest);
    if (rest.includes('node_modules'))
      throw new RefusedError(messages.refuse.nodeModules(ref), 'node-modules');
    const self = name === this.rootName && this.allow.rootProject;
    if (!self && !this.allow.allowsPackage(name)) {
      throw new RefusedError(messages.refuse.packageNotAllowed(ref, name, this.allow.entries), 'not-allowed');
    }
    const dir = name === this.rootName ? this.root : this.packageDir(ref, name);
    const pkg = readPackage(dir) ?? {};
    const subpath = rest.length === 0 ? '.' : `./${rest.join('/')}`;
    const target = exportTarget(pkg, subpath);
    if (target === undefined || !target.startsWith('./'))
      throw new RefusedError(messages.refuse.notExported(ref, name, subpath), 'not-exported');
    const targetSegments = target.slice(2).split('/');
    if (targetSegments.some((s) => s === '..' || s === ''))
      throw new RefusedError(messages.refuse.notExported(ref, name, subpath), 'not-exported');
    const file = this.realFile(ref, join(dir, ...targetSegments));
    const inPackage = relative(dir, file);
    // a symlink inside the package must not lead out of it, nor into a package it depends on
    if (!isBelow(inPackage) || inPackage.split(sep).includes('node_modules'))
      throw new RefusedError(messages.refuse.escapes(ref, `--allow ${name}`), 'escapes');
    return file;
  }

  /** The package's real directory, looked up as Node does: node_modules of the root and above. */
  private packageDir(ref: string, name: string): string {
    for (let dir = this.root; ; dir = dirname(dir)) {
      const candidate = join(dir, 'node_modules', name);
      try {
        if (statSync(join(candidate, 'package.json')).isFile()) return realpathSync(candidate);
      } catch {
        // not installed at this level: look one level up
      }
      if (dirname(dir) === dir) break;
    }
    throw new RefusedError(messages.refuse.notFound(ref, this.root), 'not-found');
  }

  private realFile(ref: string, path: string): string {
    try {
      const file = realpathSync(path);
      if (statSync(file).isFile()) return file;
    } catch {
      // reported below: the name stands for no file here
    }
    throw new RefusedError(messages.refuse.notFound(ref, this.root), 'not-found');
  }
}

function checkSegments(ref: string, segments: readonly string[]): void {
  if (segments.some((s) => s === '' || s === '.' || s === '..'))
    throw new RefusedError(messages.refuse.segments(ref), 'segments');
}

/** True when a relative() answer is strictly inside its base. */
function isBelow(rel: string): boolean {
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

function readPackage(dir: string): PackageJson | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
  } catch {
    return undefined;
  }
}
