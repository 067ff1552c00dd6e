/**
 * For adapters that share large buffers (maxNbytes): find typed arrays, DataViews and
 * ArrayBuffers over a threshold inside task arguments and replace them, copying only the
 * containers on the path to a replacement (the caller's values are never mutated).
 * Walks arrays, plain objects, Maps and Sets.
 */

export type BufferLike = ArrayBuffer | SharedArrayBuffer | ArrayBufferView;

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export function replaceLargeBuffers(
  value: unknown,
  minBytes: number,
  replace: (buffer: BufferLike) => unknown,
  depth = 0,
): unknown {
  if (value === null || typeof value !== 'object' || depth > 32) return value;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
    return value.byteLength > minBytes ? replace(value) : value;
  }
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const next = replaceLargeBuffers(value[i], minBytes, replace, depth + 1);
      if (next !== value[i]) (out ??= value.slice())[i] = next;
    }
    return out ?? value;
  }
  if (value instanceof Map) {
    let changed = false;
    const entries = [...value].map(([k, v]) => {
      const next = replaceLargeBuffers(v, minBytes, replace, depth + 1);
      changed ||= next !== v;
      return [k, next] as const;
    });
    return changed ? new Map(entries) : value;
  }
  if (value instanceof Set) {
    let changed = false;
    const items = [...value].map((v) => {
      const next = replaceLargeBuffers(v, minBytes, replace, depth + 1);
      changed ||= next !== v;
      return next;
    });
    return changed ? new Set(items) : value;
  }
  if (!isPlainObject(value)) return value;
  let out: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[key];
    const next = replaceLargeBuffers(v, minBytes, replace, depth + 1);
    if (next !== v) (out ??= { ...(value as Record<string, unknown>) })[key] = next;
  }
  return out ?? value;
}

/** The inverse walk on the worker side: replaces every value `isRef` recognises with `resolve(ref)`. */
export function restoreBuffers(
  value: unknown,
  isRef: (v: object) => boolean,
  resolve: (ref: any) => unknown,
  depth = 0,
): unknown {
  if (value === null || typeof value !== 'object' || depth > 32 || ArrayBuffer.isView(value)) return value;
  if (isRef(value)) return resolve(value);
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const next = restoreBuffers(value[i], isRef, resolve, depth + 1);
      if (next !== value[i]) (out ??= value.slice())[i] = next;
    }
    return out ?? value;
  }
  if (value instanceof Map)
    return new Map([...value].map(([k, v]) => [k, restoreBuffers(v, isRef, resolve, depth + 1)]));
  if (value instanceof Set)
    return new Set([...value].map((v) => restoreBuffers(v, isRef, resolve, depth + 1)));
  if (!isPlainObject(value)) return value;
  let out: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[key];
    const next = restoreBuffers(v, isRef, resolve, depth + 1);
    if (next !== v) (out ??= { ...(value as Record<string, unknown>) })[key] = next;
  }
  return out ?? value;
}
