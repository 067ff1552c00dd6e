/**
 * Worker side: which task modules this worker imports (DESIGN §6). A module arrives as
 * `./path` (relative to the worker's --root) or as a package name; both are resolved under the
 * root, and only when an --allow pattern matches the wire name. Absolute paths, URLs and Node
 * built-ins are always refused.
 */

import { realpathSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { WireFunction } from '@parajob/core/backend';
import { messages } from './messages.js';

/** Default --allow: every module of the project the worker was started in. */
export const DEFAULT_ALLOW = ['./**'];

const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const PACKAGE_NAME = /^(?:@[a-z0-9~][\w.~-]*\/)?[a-z0-9~][\w.~-]*(?:\/[\w.~@-]+)*$/i;

/** `*` matches within one path segment, `**` across segments; a pattern without `*` also allows its subpaths. */
export function patternMatcher(pattern: string): (ref: string) => boolean {
  const p = pattern === '.' ? './**' : pattern;
  if (!p.includes('*')) {
    const base = p.endsWith('/') ? p.slice(0, -1) : p;
    return (ref) => ref === base || ref.startsWith(`${base}/`);
  }
  let source = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '*' && p[i + 1] === '*') {
      source += '.*';
      i++;
    } else if (c === '*') source += '[^/]*';
    else source += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  const re = new RegExp(`^${source}$`);
  return (ref) => re.test(ref);
}

export interface ModulePolicyOptions {
  /** Directory wire names are resolved under (default: the nearest package.json above the cwd). */
  readonly root: string;
  readonly allow: readonly string[];
  readonly allowSource: boolean;
}

export class ModulePolicy {
  readonly root: string;
  readonly allow: readonly string[];
  readonly allowSource: boolean;
  private readonly matchers: Array<(ref: string) => boolean>;
  private readonly require: NodeJS.Require;
  private readonly cache = new Map<string, string | Error>();

  constructor(options: ModulePolicyOptions) {
    this.root = realpathSync(resolve(options.root));
    this.allow = options.allow.length > 0 ? options.allow : DEFAULT_ALLOW;
    this.allowSource = options.allowSource;
    this.matchers = this.allow.map(patternMatcher);
    this.require = createRequire(join(this.root, 'package.json'));
  }

  /** For runBatch's `resolveModule`: the file: URL to import, or an Error that explains the refusal. */
  resolveModule = (fn: WireFunction): string => {
    const ref = fn.module ?? '';
    let url = this.cache.get(ref);
    if (url === undefined) {
      try {
        url = this.resolve(ref);
      } catch (error) {
        url = error as Error;
      }
      this.cache.set(ref, url);
    }
    if (url instanceof Error) throw url;
    return url;
  };

  /** For runBatch's `allowSource`. */
  checkSource = (fn: WireFunction): void => {
    if (!this.allowSource) throw new Error(messages.refuse.source(fn.name));
  };

  private resolve(ref: string): string {
    if (builtins.has(ref) || ref.startsWith('node:')) throw new Error(messages.refuse.builtin(ref));
    const relativeRef = ref.startsWith('./');
    if (!relativeRef && (isAbsolute(ref) || /^[a-z][a-z0-9+.-]*:/i.test(ref) || !PACKAGE_NAME.test(ref))) {
      throw new Error(messages.refuse.absolute(ref));
    }
    if (!this.matchers.some((m) => m(ref))) throw new Error(messages.refuse.notAllowed(ref, this.allow));
    let file: string;
    if (relativeRef) {
      file = resolve(this.root, ref);
      if (!inside(file, this.root)) throw new Error(messages.refuse.escapes(ref));
      try {
        file = realpathSync(file);
      } catch (error) {
        throw new Error(
          messages.refuse.unresolvable(
            ref,
            this.root,
            (error as NodeJS.ErrnoException).code ?? String(error),
          ),
        );
      }
      if (!inside(file, this.root)) throw new Error(messages.refuse.escapes(ref));
    } else {
      try {
        file = this.require.resolve(ref);
      } catch (error) {
        throw new Error(
          messages.refuse.unresolvable(
            ref,
            this.root,
            (error as NodeJS.ErrnoException).code ?? String(error),
          ),
        );
      }
      if (builtins.has(file)) throw new Error(messages.refuse.builtin(ref));
    }
    return pathToFileURL(file).href;
  }
}

function inside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}
