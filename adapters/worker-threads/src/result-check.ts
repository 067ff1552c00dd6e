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

/** What cloneFailure answers for values nested deeper than MAX_RESULT_DEPTH. */
export const TOO_DEEP = Symbol('nested too deep to post');

/** The DataCloneError posting `values` would throw, TOO_DEEP, or undefined when they can be posted. */
export function cloneFailure(values: readonly unknown[]): unknown {
  try {
    if (surelyCloneable(values, new Set(), 0)) return undefined;
  } catch {
    // a getter or proxy trap threw while the walk read it: the trial clone below says what it does
  }
  // posting it would "succeed" and the receiver drop it: the caller reports each such value
  try {
    if (values.some((v) => tooDeep(v) !== undefined)) return TOO_DEEP;
  } catch {
    // a getter or proxy trap threw while measuring: the trial clone below says what it does
  }
  try {
    structuredClone(values);
    return undefined;
  } catch (error) {
    return error;
  }
}

/**
 * Deepest nesting a task's result may have. Beyond a few thousand levels the receiving thread's
 * deserializer overflows its stack and the message is dropped without a word: the batch would
 * never answer and its slot would be lost. A thousand levels is far beyond plain data.
 */
export const MAX_RESULT_DEPTH = 1000;

/**
 * The path (`result[0][2]`) of the first place in `value` nested deeper than MAX_RESULT_DEPTH,
 * or undefined. Iterative, so a value too deep for the stack is measured without overflowing it.
 */
export function tooDeep(value: unknown): string | undefined {
  const stack: Array<{ value: unknown; depth: number; path: string }> = [{ value, depth: 0, path: 'result' }];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const { value: v, depth, path } = stack.pop()!;
    if (v === null || typeof v !== 'object' || seen.has(v) || ArrayBuffer.isView(v)) continue;
    if (depth > MAX_RESULT_DEPTH) return path;
    seen.add(v);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push({ value: v[i], depth: depth + 1, path: `${path}[${i}]` });
    } else if (v instanceof Map) {
      let i = 0;
      for (const [k, item] of v) {
        stack.push({ value: k, depth: depth + 1, path: `${path}.keys()[${i}]` });
        stack.push({ value: item, depth: depth + 1, path: `${path}.get(${i++})` });
      }
    } else if (v instanceof Set) {
      let i = 0;
      for (const item of v) stack.push({ value: item, depth: depth + 1, path: `${path}.values()[${i++}]` });
    } else
      for (const [k, item] of Object.entries(v))
        stack.push({ value: item, depth: depth + 1, path: `${path}.${k}` });
  }
  return undefined;
}
