/** Finds where a value stops being cloneable, so a SerializationError can name the path (`args[1].cb`). */

export interface Uncloneable {
  readonly path: string;
  /** 'a function', 'a symbol', 'a WeakMap', ... */
  readonly what: string;
}

function clones(value: unknown): boolean {
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

function describeValue(value: unknown): string {
  if (typeof value === 'function') return `a function (${value.name || 'anonymous'})`;
  if (typeof value === 'symbol') return 'a symbol';
  try {
    const name = (value as object)?.constructor?.name;
    return name ? `a ${name}` : 'an object that cannot be cloned';
  } catch (error) {
    return unreadable(error);
  }
}

/** A value whose reading throws (a getter, a proxy trap): structured clone fails on it too. */
function unreadable(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return `a value that throws when read (${message})`;
}

const key = (k: string) => (/^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`);

/** Returns the first uncloneable place inside `value`, or null when it clones. Only called after a failure. */
export function findUncloneable(value: unknown, path: string, seen = new Set<unknown>()): Uncloneable | null {
  try {
    return walk(value, path, seen);
  } catch (error) {
    // an exotic value (a proxy whose traps throw) that even the walk cannot read
    return { path, what: unreadable(error) };
  }
}

function walk(value: unknown, path: string, seen: Set<unknown>): Uncloneable | null {
  if (typeof value === 'function' || typeof value === 'symbol') return { path, what: describeValue(value) };
  if (value === null || typeof value !== 'object') return null;
  if (seen.has(value)) return null;
  seen.add(value);
  if (clones(value)) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUncloneable(value[i], `${path}[${i}]`, seen);
      if (found) return found;
    }
  } else if (value instanceof Map) {
    let i = 0;
    for (const [k, v] of value) {
      const found =
        findUncloneable(k, `${path}.keys()[${i}]`, seen) ??
        findUncloneable(v, `${path}.get(${typeof k === 'string' ? JSON.stringify(k) : i})`, seen);
      if (found) return found;
      i++;
    }
  } else if (value instanceof Set) {
    let i = 0;
    for (const v of value) {
      const found = findUncloneable(v, `${path}.values()[${i++}]`, seen);
      if (found) return found;
    }
  } else {
    for (const k of Object.keys(value)) {
      let child: unknown;
      try {
        child = (value as Record<string, unknown>)[k];
      } catch (error) {
        return { path: path + key(k), what: unreadable(error) };
      }
      const found = findUncloneable(child, path + key(k), seen);
      if (found) return found;
    }
  }
  return { path, what: describeValue(value) };
}
