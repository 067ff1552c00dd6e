/**
 * Worker side: can the batch's answer be posted back? piscina posts the handler's return value
 * itself, and a DataCloneError there is thrown as an uncaught exception that kills the worker,
 * with nothing to say which task or which path was at fault. So the worker checks first: a cheap
 * walk proves the common cases (plain data) cloneable without copying anything; only a value the
 * walk cannot vouch for (a function, a symbol, a class instance, a host object) costs a trial
 * structuredClone.
 */

const MAX_DEPTH = 64;

function isCloneableLeaf(value: object): boolean {
  return (
    ArrayBuffer.isView(value) ||
    value instanceof ArrayBuffer ||
    value instanceof SharedArrayBuffer ||
    value instanceof Date ||
    value instanceof RegExp ||
    value instanceof Boolean ||
    value instanceof Number ||
    value instanceof String ||
    (typeof BigInt !== 'undefined' && Object.prototype.toString.call(value) === '[object BigInt]')
  );
}

/** True when the walk proves `value` structured-cloneable; false means "not sure", not "uncloneable". */
function surelyCloneable(value: unknown, seen: Set<object>, depth: number): boolean {
  if (value === null) return true;
  const type = typeof value;
  if (type === 'function' || type === 'symbol') return false;
  if (type !== 'object') return true;
  const obj = value as object;
  if (seen.has(obj)) return true;
  if (depth > MAX_DEPTH) return false;
  seen.add(obj);
  if (isCloneableLeaf(obj)) return true;
  if (Array.isArray(obj)) {
    for (const item of obj) if (!surelyCloneable(item, seen, depth + 1)) return false;
    return true;
  }
  if (obj instanceof Map) {
    for (const [k, v] of obj)
      if (!surelyCloneable(k, seen, depth + 1) || !surelyCloneable(v, seen, depth + 1)) return false;
    return true;
  }
  if (obj instanceof Set) {
    for (const v of obj) if (!surelyCloneable(v, seen, depth + 1)) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(obj);
  if (proto !== Object.prototype && proto !== null && !(obj instanceof Error)) return false;
  for (const key of Object.keys(obj)) {
    if (!surelyCloneable((obj as Record<string, unknown>)[key], seen, depth + 1)) return false;
  }
  return true;
}

/** The DataCloneError posting `values` would throw, or undefined when they can be posted. */
export function cloneFailure(values: readonly unknown[]): unknown {
  try {
    if (surelyCloneable(values, new Set(), 0)) return undefined;
  } catch {
    // a getter or proxy trap threw while the walk read it: the trial clone below says what it does
  }
  try {
    structuredClone(values);
    return undefined;
  } catch (error) {
    return error;
  }
}
