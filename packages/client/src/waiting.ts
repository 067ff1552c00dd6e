/** get() and wait() over ObjectRefs, the same for every engine (refs settle locally, whoever computes them). */
import { GetTimeoutError } from './errors.js';
import { messages } from './messages.js';
import { isRef, type ObjectRef, RefState } from './object-ref.js';
import { madeFrom, readyPositions, readyPositionsNow } from './wait-index.js';

export interface GetOptions {
  /** Milliseconds before get() rejects with GetTimeoutError; default: wait forever. */
  readonly timeout?: number;
}

export interface WaitOptions {
  /** How many refs must be ready (default 1; at most refs.length). */
  readonly numReturns?: number;
  /** Milliseconds to wait at most; default: until numReturns are ready. */
  readonly timeout?: number;
  /** Ray's fetch_local: accepted for compatibility; refs are always readable where they are waited on. */
  readonly fetchLocal?: boolean;
}

export interface WaitResult<T> {
  readonly ready: ObjectRef<T>[];
  readonly notReady: ObjectRef<T>[];
}

function checkTimeout(where: string, timeout: unknown): number | undefined {
  if (timeout === undefined || timeout === null) return undefined;
  if (typeof timeout !== 'number' || !(timeout >= 0))
    throw new TypeError(messages.badTimeout(where, timeout));
  return timeout;
}

/**
 * Resolves once `needed` of `refs` have settled, or the timeout passes. One listener object for
 * the whole call, removed from every ref when it returns.
 */
function settledCount(
  refs: readonly ObjectRef[],
  needed: number,
  timeout: number | undefined,
  stopOnFailure = false,
): Promise<void> {
  let done = 0;
  for (let i = 0; i < refs.length; i++) {
    const state = refs[i]!.state;
    if (state === RefState.Failed && stopOnFailure) return Promise.resolve();
    if (state !== RefState.Pending) done++;
  }
  if (done >= needed || timeout === 0) return Promise.resolve();
  return new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      if (timer !== undefined) clearTimeout(timer);
      for (const r of refs) r.unlisten(listener);
      resolve();
    };
    const listener = (ref: ObjectRef) => {
      if (++done >= needed || (stopOnFailure && ref.state === RefState.Failed)) finish();
    };
    if (timeout !== undefined && Number.isFinite(timeout)) timer = setTimeout(finish, timeout);
    for (const r of refs) if (r.state === RefState.Pending) r.listen(listener);
  });
}

export function get(refs: ObjectRef | readonly ObjectRef[], options: GetOptions = {}): Promise<unknown> {
  let timeout: number | undefined;
  let list: readonly ObjectRef[];
  try {
    timeout = checkTimeout('get', options.timeout);
    if (Array.isArray(refs)) list = refs as readonly ObjectRef[];
    else {
      if (!isRef(refs)) throw new TypeError(messages.notRef(refs));
      // one ref and no timeout (one task at a time): the ref's own promise, no async hop more
      if (timeout === undefined) return refs.asPromise();
      list = [refs];
    }
    for (const r of list) if (!isRef(r)) throw new TypeError(messages.notRef(r));
  } catch (error) {
    return Promise.reject(error);
  }
  return getAll(list, Array.isArray(refs), timeout);
}

async function getAll(
  list: readonly ObjectRef[],
  asList: boolean,
  timeout: number | undefined,
): Promise<unknown> {
  // as soon as one ref fails, get rejects with its error (the others need not finish)
  await settledCount(list, list.length, timeout, true);
  const values = new Array<unknown>(list.length);
  let pending = 0;
  for (let i = 0; i < list.length; i++) {
    const r = list[i]!;
    if (r.state === RefState.Pending) pending++;
    values[i] = r.value;
  }
  for (let i = 0; i < list.length; i++) if (list[i]!.state === RefState.Failed) throw list[i]!.error;
  if (pending > 0) throw new GetTimeoutError(messages.getTimeout(timeout!, pending));
  return asList ? values : values[0];
}

function split<T>(refs: readonly ObjectRef<T>[], at: readonly number[]): WaitResult<T> {
  const ready = new Array<ObjectRef<T>>(at.length);
  for (let k = 0; k < at.length; k++) ready[k] = refs[at[k]!]!;
  // one ready ref (the usual loop): one native copy without it
  if (at.length === 1) return { ready, notReady: refs.toSpliced(at[0]!, 1) };
  if (at.length <= 64) {
    const notReady = refs.slice();
    for (let k = at.length - 1; k >= 0; k--) notReady.splice(at[k]!, 1);
    return { ready, notReady };
  }
  const notReady = new Array<ObjectRef<T>>(refs.length - at.length);
  let n = 0;
  let k = 0;
  for (let i = 0; i < refs.length; i++) {
    if (k < at.length && at[k] === i) k++;
    else notReady[n++] = refs[i]!;
  }
  return { ready, notReady };
}

export async function wait<T>(
  refs: readonly ObjectRef<T>[],
  options: WaitOptions = {},
): Promise<WaitResult<T>> {
  if (!Array.isArray(refs)) throw new TypeError(messages.notRefList(refs));
  const numReturns = options.numReturns ?? 1;
  const badNumReturns = !Number.isInteger(numReturns) || numReturns < 1 || numReturns > refs.length;
  // a ref twice in one list is an error (checked when a list is first seen, see wait-index.ts)
  let at = readyPositions(refs, badNumReturns ? 0 : numReturns);
  if (badNumReturns) {
    // Ray allows wait([]) with the default numReturns; everything else out of range raises
    if (!(refs.length === 0 && options.numReturns === undefined))
      throw new RangeError(messages.numReturns(options.numReturns, refs.length));
  }
  const timeout = checkTimeout('wait', options.timeout);
  // the common case (enough refs ready already) costs one pass (or an index look-up) and one copy
  if (at.length < numReturns && refs.length > 0) {
    await settledCount(refs, Math.min(numReturns, refs.length), timeout);
    at = readyPositionsNow(refs, numReturns);
  }
  const result = split<T>(refs, at);
  // passed back to wait (Ray's `pending = notReady`), this list is indexed (see wait-index.ts)
  madeFrom(result.notReady);
  return result;
}
