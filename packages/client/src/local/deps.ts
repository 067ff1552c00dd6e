/** Top-level ObjectRef arguments are dependencies: the call waits for them, holding nothing. */
import { isRef, type ObjectRef, RefState } from '../object-ref.js';

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
  const finish = () => {
    const values = new Array<unknown>(args.length);
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (!isRef(a)) values[i] = a;
      else if (a.state === RefState.Failed) return failed(a.error);
      else values[i] = a.value;
    }
    ready(values);
  };
  if (pending === 0) {
    finish();
    return;
  }
  const listener = (ref: ObjectRef) => {
    // the first failure decides at once; otherwise wait for all
    if (ref.state === RefState.Failed) {
      if (pending > 0) {
        pending = 0;
        failed(ref.error);
      }
    } else if (--pending === 0) finish();
  };
  for (const a of args) if (isRef(a) && a.state === RefState.Pending) a.listen(listener);
}
