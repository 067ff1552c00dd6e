/**
 * Worker side: a package subpath → the file its `exports` map names, as Node's ESM loader would
 * pick it (conditions `node`, `import`, `default`, in the map's own order; `*` patterns). Only
 * the mapping: no file system access, no import. A package without `exports` exposes its files
 * by path (`pkg/dist/x.js`) and its `main` for the bare name, as Node does.
 */

const CONDITIONS = new Set(['node', 'import', 'default']);

export interface PackageJson {
  readonly name?: unknown;
  readonly main?: unknown;
  readonly exports?: unknown;
}

/** The target of one exports entry under our conditions; null when explicitly excluded. */
function pick(value: unknown): string | null | undefined {
  if (typeof value === 'string') return value;
  if (value === null) return null;
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = pick(item);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (typeof value === 'object') {
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
      if (!CONDITIONS.has(key)) continue;
      const found = pick(inner);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

function subpathMap(exports: unknown): Record<string, unknown> {
  if (exports !== null && typeof exports === 'object' && !Array.isArray(exports)) {
    const keys = Object.keys(exports);
    if (keys.length > 0 && keys.every((k) => k.startsWith('.'))) return exports as Record<string, unknown>;
  }
  return { '.': exports };
}

/**
 * `subpath` is `.` or `./x/y` (already checked for `..` and empty segments). Returns the
 * package-relative target (`./dist/x.js`) or undefined when the package does not expose it.
 */
export function exportTarget(pkg: PackageJson, subpath: string): string | undefined {
  if (pkg.exports === undefined) {
    if (subpath !== '.') return subpath;
    return typeof pkg.main === 'string' ? `./${pkg.main.replace(/^\.\//, '')}` : './index.js';
  }
  const map = subpathMap(pkg.exports);
  if (Object.hasOwn(map, subpath) && !subpath.includes('*')) return pick(map[subpath]) ?? undefined;
  // pattern keys: the longest prefix wins, as in Node
  let best: { key: string; match: string } | undefined;
  for (const key of Object.keys(map)) {
    const star = key.indexOf('*');
    if (star < 0 || key.indexOf('*', star + 1) >= 0) continue;
    const prefix = key.slice(0, star);
    const suffix = key.slice(star + 1);
    if (subpath.length < prefix.length + suffix.length) continue;
    if (!subpath.startsWith(prefix) || !subpath.endsWith(suffix)) continue;
    if (best === undefined || prefix.length > best.key.indexOf('*')) {
      best = { key, match: subpath.slice(prefix.length, subpath.length - suffix.length) };
    }
  }
  if (best === undefined) return undefined;
  const target = pick(map[best.key]);
  return typeof target === 'string' ? target.replaceAll('*', best.match) : undefined;
}
