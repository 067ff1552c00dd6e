/**
 * An index of the ready refs of a list wait() is given again and again, so a call costs the ready
 * refs and one copy of the list (for `notReady`), not a read of every ref's state. Two loops get one:
 *
 * - the same list passed again (a poll with `timeout: 0`, a list the caller keeps): indexed the
 *   second time it comes with the same length;
 * - Ray's loop, `{ ready, notReady } = await wait(pending); pending = notReady`: the `notReady` a
 *   call returned is indexed when it comes back (the index of its parent list carries over: the
 *   refs taken out are marked removed, the positions of the others shift accordingly).
 *
 * A list made anew for each call otherwise, or growing by one each call, never pays for an index it
 * would not reuse. Refs settle into the index by a watcher each (no value is asked for: watching is
 * not waiting, so a ref inside a worker thread is not fetched because a list was indexed).
 *
 * The index trusts the list: it is used while the list keeps its length and the refs it returns as
 * ready are still settled at their positions. A list changed otherwise in place (a pending ref
 * replaced by another at the same position) must be passed as a new array; docs/ray-client.md says
 * so. Only the newest list of a lineage is indexed: an older one passed again is read in full.
 */
import { messages } from './messages.js';
import { ObjectRef, RefState } from './object-ref.js';

/** Positions removed from the first list of a lineage: how many lie before a position (Fenwick tree). */
class Removed {
  private readonly tree: Int32Array;

  constructor(length: number) {
    this.tree = new Int32Array(length + 1);
  }

  add(at: number): void {
    for (let i = at + 1; i < this.tree.length; i += i & -i) this.tree[i]!++;
  }

  before(at: number): number {
    let n = 0;
    for (let i = at; i > 0; i -= i & -i) n += this.tree[i]!;
    return n;
  }
}

export class WaitIndex {
  /** Positions (in the first list) of settled refs not taken out yet, sorted when read. */
  private settled: number[] = [];
  private sorted = true;
  private removed: Removed | undefined;
  /** The list the index answers for now (the newest of its lineage) and its length. */
  private current: readonly ObjectRef[];
  private length: number;
  /** Bumped each time a `notReady` list takes over. */
  private generation = 0;
  /** First-list positions of the refs the last answer returned as ready. */
  private lastTaken: number[] = [];

  /** The length of the lineage's first list: the positions the index counts in. */
  private readonly firstLength: number;

  private constructor(refs: readonly ObjectRef[]) {
    this.current = refs;
    this.length = refs.length;
    this.firstLength = refs.length;
  }

  /**
   * Indexes `refs` (already checked for duplicates and non-refs by the caller's first pass).
   * One watcher per pending ref, each knowing its position.
   */
  static build(refs: readonly ObjectRef[]): WaitIndex {
    const index = new WaitIndex(refs);
    for (let i = 0; i < refs.length; i++) {
      const r = refs[i]!;
      if (r.state !== RefState.Pending) index.settled.push(i);
      else r.watch(index.watcher(i));
    }
    return index;
  }

  private watcher(at: number): () => void {
    return () => {
      this.settled.push(at);
      this.sorted = false;
    };
  }

  /**
   * The first `limit` ready positions of `refs` in input order, or undefined when `refs` is not the
   * list the index answers for (an older list of the lineage, a changed length, or a position it
   * would return holding something not settled).
   */
  ready(refs: readonly ObjectRef[], limit: number): number[] | undefined {
    if (refs !== this.current || refs.length !== this.length) return undefined;
    const settled = this.settled;
    if (!this.sorted) {
      settled.sort((a, b) => a - b);
      this.sorted = true;
    }
    const n = Math.min(limit, settled.length);
    const at = new Array<number>(n);
    for (let k = 0; k < n; k++) {
      const first = settled[k]!;
      const i = this.removed === undefined ? first : first - this.removed.before(first);
      const r = refs[i];
      if (!(r instanceof ObjectRef) || r.state === RefState.Pending) return undefined;
      at[k] = i;
    }
    this.lastTaken = settled.slice(0, n);
    return at;
  }

  /** A `notReady` list made from the last answer; it takes over when it is passed to wait. */
  derive(length: number): Derived {
    return { index: this, generation: this.generation, taken: this.lastTaken, length };
  }

  /** `list` (derived at `from.generation`) is the newest list now, if no other took over meanwhile. */
  static adopt(list: readonly ObjectRef[], from: Derived): WaitIndex | undefined {
    const index = from.index;
    // another list took over meanwhile, or this one changed length since wait made it
    if (index.generation !== from.generation || list.length !== from.length) return undefined;
    if (from.taken.length > 0) {
      const removed = (index.removed ??= new Removed(index.firstLength));
      for (const at of from.taken) removed.add(at);
      const taken = new Set(from.taken);
      index.settled = index.settled.filter((at) => !taken.has(at));
    }
    index.current = list;
    index.length = list.length;
    index.generation++;
    return index;
  }
}

interface Derived {
  readonly index: WaitIndex;
  readonly generation: number;
  readonly taken: readonly number[];
  /** The length wait made the list with. */
  readonly length: number;
}

const indexes = new WeakMap<readonly ObjectRef<any>[], WaitIndex>();
/** Lists seen once, with the length they had (a second call at that length indexes them). */
const seenLength = new WeakMap<readonly ObjectRef<any>[], number>();
/** `notReady` lists wait returned: from an indexed list (their index carries over), or not. */
const derived = new WeakMap<readonly ObjectRef<any>[], Derived | null>();
/** The index that gave the last answer (readyPositions / readyPositionsNow), if any. */
let answeredBy: WaitIndex | undefined;
let waitCalls = 0;

/**
 * The first `limit` ready positions of `refs` in input order. The first pass over a list checks
 * its elements (refs, no duplicates) and reads every state; a later call with the same list and
 * length, or with a `notReady` list a call returned, builds, takes over or uses an index.
 */
export function readyPositions(refs: readonly ObjectRef<any>[], limit: number): number[] {
  answeredBy = undefined;
  let index = indexes.get(refs);
  const from = index === undefined ? derived.get(refs) : undefined;
  if (from) index = WaitIndex.adopt(refs, from);
  if (index !== undefined) {
    const at = index.ready(refs, limit);
    if (at !== undefined) {
      indexes.set(refs, index);
      answeredBy = index;
      return at;
    }
    indexes.delete(refs);
  }
  // a list seen before at this length, or a notReady list wait made: worth an index
  const again = seenLength.get(refs) === refs.length || from !== undefined;
  const at = scan(refs, limit);
  if (!again) {
    seenLength.set(refs, refs.length);
    return at;
  }
  const built = WaitIndex.build(refs);
  indexes.set(refs, built);
  // the same answer as the scan's, from the index: the notReady list it makes can carry it over
  const fromIndex = built.ready(refs, limit);
  if (fromIndex === undefined) return at;
  answeredBy = built;
  return fromIndex;
}

/** The first `limit` ready positions after a wait: the index when there is one, else the states. */
export function readyPositionsNow(refs: readonly ObjectRef<any>[], limit: number): number[] {
  const index = indexes.get(refs);
  const at = index?.ready(refs, limit);
  answeredBy = at === undefined ? undefined : index;
  if (at !== undefined) return at;
  const found: number[] = [];
  for (let i = 0; i < refs.length && found.length < limit; i++)
    if (refs[i]!.state !== RefState.Pending) found.push(i);
  return found;
}

/** Records `notReady`, made from `refs` with the last answer: passed to wait, it is indexed. */
export function madeFrom(notReady: readonly ObjectRef<any>[]): void {
  derived.set(notReady, answeredBy === undefined ? null : answeredBy.derive(notReady.length));
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
