/** Top-level ObjectRef arguments are dependencies: the call waits for them, holding nothing. */
import { isRef, type ObjectRef, RefState } from '../object-ref.js';

/** `args` with each ref replaced by its value, or the first failed ref (its error fails the call). */
export function resolved(args: readonly unknown[]): { values: unknown[] } | { failed: ObjectRef } {
  const values = new Array<unknown>(args.length);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!isRef(a)) values[i] = a;
    else if (a.state === RefState.Failed) return { failed: a };
    else values[i] = a.value;
  }
  return { values };
}

export enum RefsIn {
  /** No top-level argument is a ref (most tasks). */
  None = 0,
  /** Some are, all settled. */
  Settled = 1,
  /** Some ref is still pending. */
  Pending = 2,
}

/** Whether the top-level arguments hold refs, and whether one is still pending. */
export function refsIn(args: readonly unknown[]): RefsIn {
  let found = RefsIn.None;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!isRef(a)) continue;
    if (a.state === RefState.Pending) return RefsIn.Pending;
    found = RefsIn.Settled;
  }
  return found;
}

/**
 * Calls `ready(values)` once every top-level ref of `args` is ready (refs replaced by their values,
 * in a copy), or `failed(error)` with the error of the first ref that failed.
 */
export function whenArgsReady(
  args: readonly unknown[],
  ready: (values: unknown[]) => void,
  failed: (error: unknown) => void,
): void {
  let pending = 0;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (isRef(a) && a.state === RefState.Pending) pending++;
  }
  if (pending === 0) {
    const r = resolved(args);
    if ('failed' in r) failed(r.failed.error);
    else ready(r.values);
    return;
  }
  const listener = (ref: ObjectRef) => {
    // the first failure decides at once; otherwise wait for all
    if (ref.state === RefState.Failed) {
      if (pending > 0) {
        pending = 0;
        failed(ref.error);
      }
    } else if (--pending === 0) {
      const r = resolved(args);
      if ('failed' in r) failed(r.failed.error);
      else ready(r.values);
    }
  };
  for (const a of args) if (isRef(a) && a.state === RefState.Pending) a.listen(listener);
}

/** Whether every argument is a primitive (nothing to encode, no ref anywhere inside). */
export const allPrimitive = (values: readonly unknown[]): boolean => {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v === 'object' && v !== null) return false;
  }
  return true;
};
