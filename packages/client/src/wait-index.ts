/**
 * An index of the ready refs of one list that wait() is given again and again (Ray's "process
 * results as they finish" loop over one list, or a poll with timeout 0): it knows which positions
 * hold settled refs, so a call costs the ready refs and one copy of the list, not a read of every
 * ref's state. Refs settle into the index by a watcher each (no value is asked for: watching is not
 * waiting, so a ref inside a worker thread is not fetched because a list was indexed).
 *
 * A list is indexed the second time it is passed with the same length: a list made once per call
 * (`refs = notReady`) or growing by one each call never pays for an index it would not reuse.
 * The index is trusted while the list keeps its length and the refs it found ready are still
 * settled at their positions; a list changed otherwise in place (a pending ref replaced by another
 * at the same position) must be passed as a new array. docs/ray-client.md says so.
 */
import { messages } from './messages.js';
import { ObjectRef, RefState } from './object-ref.js';

export class WaitIndex {
  /** Positions of settled refs, in the order they settled (sorted when read). */
  private readonly readyAt: number[] = [];
  private sorted = true;

  private constructor(readonly length: number) {}

  /**
   * Indexes `refs` (already checked for duplicates and non-refs by the caller's first pass).
   * One watcher per pending ref, each knowing its position.
   */
  static build(refs: readonly ObjectRef[]): WaitIndex {
    const index = new WaitIndex(refs.length);
    for (let i = 0; i < refs.length; i++) {
      const r = refs[i]!;
      if (r.state !== RefState.Pending) index.readyAt.push(i);
      else r.watch(index.watcher(i));
    }
    return index;
  }

  private watcher(at: number): () => void {
    return () => {
      this.readyAt.push(at);
      this.sorted = false;
    };
  }

  /**
   * The first `limit` ready positions in input order, or undefined when `refs` no longer matches
   * the index (its length changed, or a position it knows as ready holds something else now).
   */
  ready(refs: readonly ObjectRef[], limit: number): number[] | undefined {
    if (refs.length !== this.length) return undefined;
    const readyAt = this.readyAt;
    if (!this.sorted) {
      readyAt.sort((a, b) => a - b);
      this.sorted = true;
    }
    for (let k = 0; k < readyAt.length; k++) {
      const r = refs[readyAt[k]!];
      if (!(r instanceof ObjectRef) || r.state === RefState.Pending) return undefined;
    }
    return readyAt.length <= limit ? readyAt.slice() : readyAt.slice(0, limit);
  }
}

const indexes = new WeakMap<readonly ObjectRef<any>[], WaitIndex>();
/** Lists seen once, with the length they had (a second call at that length indexes them). */
const seenLength = new WeakMap<readonly ObjectRef<any>[], number>();
let waitCalls = 0;

/**
 * The first `limit` ready positions of `refs` in input order. The first pass over a list checks
 * its elements (refs, no duplicates) and reads every state; a later call with the same list and
 * length builds or uses its index.
 */
export function readyPositions(refs: readonly ObjectRef<any>[], limit: number): number[] {
  const index = indexes.get(refs);
  if (index !== undefined) {
    const at = index.ready(refs, limit);
    if (at !== undefined) return at;
    indexes.delete(refs);
  }
  const again = seenLength.get(refs) === refs.length;
  const at = scan(refs, limit);
  if (again) indexes.set(refs, WaitIndex.build(refs));
  else seenLength.set(refs, refs.length);
  return at;
}

/** The first `limit` ready positions after a wait: the index when there is one, else the states. */
export function readyPositionsNow(refs: readonly ObjectRef<any>[], limit: number): number[] {
  const at = indexes.get(refs)?.ready(refs, limit);
  if (at !== undefined) return at;
  const found: number[] = [];
  for (let i = 0; i < refs.length && found.length < limit; i++)
    if (refs[i]!.state !== RefState.Pending) found.push(i);
  return found;
}

/** One pass: checks every element (a ref, not twice) and picks the first `limit` ready ones. */
function scan(refs: readonly ObjectRef<any>[], limit: number): number[] {
  const at: number[] = [];
  const mark = ++waitCalls;
  for (let i = 0; i < refs.length; i++) {
    const r = refs[i];
    if (!(r instanceof ObjectRef)) throw new TypeError(messages.notRef(r));
    if (r.waitMark === mark) throw new Error(messages.duplicateRef(r.id));
    r.waitMark = mark;
    if (r.state !== RefState.Pending && at.length < limit) at.push(i);
  }
  return at;
}
