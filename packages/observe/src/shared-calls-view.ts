/**
 * The dashboard thread's side of shared-calls.ts: the calls as the page shows them, from the
 * feed's messages (calls starting and ending, errors) and the shared counters of running calls.
 */
import { type DashboardState, processState } from './dashboard-state.js';
import {
  COMPLETED,
  COUNTS,
  DISPATCHED,
  FAILED,
  type FeedMessage,
  GEN,
  IN_FLIGHT,
  RING,
  SLOT_BASE,
  SLOT_INTS,
  STAMPS,
  timeOf,
  UNSEEN,
} from './shared-calls.js';
import type { CallView, ErrorView, Throughput } from './tracker.js';

// Atomics.waitAsync (ES2024, in Node since 16) is not in the project's ES2023 lib
const waitAsync = (
  Atomics as unknown as {
    waitAsync(
      cells: Int32Array,
      index: number,
      value: number,
    ): { async: boolean; value: Promise<unknown> | string };
  }
).waitAsync;

const KEEP_FINISHED = 20;
const KEEP_ERRORS = 50;

interface ViewedCall {
  readonly seq: number;
  readonly slot: number;
  readonly view: CallView;
}

export class SharedCallsView {
  private readonly cells: Int32Array;
  /** By sequence number: a Map keeps them in start order. */
  private readonly calls = new Map<number, ViewedCall>();
  private readonly errors: ErrorView[] = [];
  /** The oldest change a message brought that no update showed yet (Date.now()), or null. */
  private unseenMessage: number | null = null;

  constructor(
    buffer: SharedArrayBuffer,
    private readonly version: string,
  ) {
    this.cells = new Int32Array(buffer);
  }

  /** Settles when a counter change is unseen: at once when one already is, else when the feed wakes it. */
  whenChanged(): Promise<unknown> {
    const wait = waitAsync(this.cells, UNSEEN, 0);
    return wait.async ? (wait.value as Promise<unknown>) : Promise.resolve();
  }

  apply(message: FeedMessage): void {
    const at = message.t === 'error' ? message.error.at : message.at;
    this.unseenMessage = Math.min(this.unseenMessage ?? at, at);
    switch (message.t) {
      case 'start':
        this.calls.set(message.seq, {
          seq: message.seq,
          slot: message.slot,
          view: {
            id: message.id,
            backend: message.backend,
            workers: message.workers,
            total: message.total,
            dispatched: 0,
            completed: 0,
            failed: 0,
            batchesInFlight: 0,
            status: 'running',
            startedAt: message.at,
            endedAt: null,
            error: null,
          },
        });
        return;
      case 'add': {
        const call = this.calls.get(message.seq);
        if (call) setCounts(call.view, message.counts);
        return;
      }
      case 'error':
        this.errors.push(message.error);
        if (this.errors.length > KEEP_ERRORS) this.errors.shift();
        return;
      case 'end': {
        const call = this.calls.get(message.seq);
        if (!call) return;
        // re-inserted: finished calls are listed in the order they ended
        this.calls.delete(message.seq);
        this.calls.set(message.seq, { seq: call.seq, slot: -1, view: call.view });
        setCounts(call.view, message.counts);
        Object.assign(call.view, {
          status: message.status,
          endedAt: message.at,
          error: message.error,
          total: message.total,
        });
        this.prune();
      }
    }
  }

  /**
   * The state now; `consume`: it is the update every page gets, so the changes it shows are no
   * longer unseen. The unseen stamp is taken before the counters are read: a change made between
   * the two is shown now and counted again by the next update (its latency overstated, never
   * understated).
   */
  state(now: number, consume: boolean): DashboardState {
    let oldest = now;
    if (consume) {
      const stamp = Atomics.exchange(this.cells, UNSEEN, 0);
      if (stamp !== 0) oldest = Math.min(oldest, timeOf(stamp, now));
      if (this.unseenMessage !== null) oldest = Math.min(oldest, this.unseenMessage);
      this.unseenMessage = null;
    }
    const all = [...this.calls.values()];
    for (const call of all) if (call.slot >= 0) this.read(call);
    const views = all.map((c) => c.view);
    return processState(now, {
      version: this.version,
      calls: [
        ...views.filter((c) => c.status === 'running'),
        ...views.filter((c) => c.status !== 'running').reverse(),
      ],
      errors: [...this.errors].reverse(),
      throughput: this.throughput(now),
      oldestChangeAt: oldest,
    });
  }

  private read(call: ViewedCall): void {
    const base = SLOT_BASE + call.slot * SLOT_INTS;
    // the slot was given to a later call: this one's 'end' message is on its way with its counts
    if (Atomics.load(this.cells, base + GEN) !== call.seq) return;
    setCounts(call.view, [
      Atomics.load(this.cells, base + DISPATCHED),
      Atomics.load(this.cells, base + COMPLETED),
      Atomics.load(this.cells, base + FAILED),
      Atomics.load(this.cells, base + IN_FLIGHT),
    ]);
  }

  private prune(): void {
    const finished = [...this.calls.values()].filter((c) => c.view.status !== 'running');
    for (const old of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED)))
      this.calls.delete(old.seq);
  }

  /** Tasks per second over the last `seconds`, with a zero for every quiet second. */
  private throughput(now: number, seconds = 120): Throughput {
    const end = Math.floor(now / 1000);
    const t: number[] = [];
    const tasks: number[] = [];
    for (let s = end - seconds + 1; s <= end; s++) {
      const i = s % RING;
      t.push(s);
      tasks.push(
        Atomics.load(this.cells, STAMPS + i) >>> 0 === s >>> 0 ? Atomics.load(this.cells, COUNTS + i) : 0,
      );
    }
    return { t, tasks };
  }
}

function setCounts(view: CallView, [dispatched, completed, failed, inFlight]: readonly number[]): void {
  view.dispatched = dispatched!;
  view.completed = completed!;
  view.failed = failed!;
  view.batchesInFlight = inFlight!;
}
