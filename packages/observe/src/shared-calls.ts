/**
 * This process's calls, handed to the dashboard's own thread (dashboard-thread.ts) so that its
 * updates go out on that thread's event loop: a long task or a garbage collection on the caller's
 * thread no longer holds them back.
 *
 * The busy part (batches starting and ending, thousands per second) is counters in a
 * SharedArrayBuffer, one slot per running call, bumped with Atomics: no message, no allocation
 * per batch. The rare part (a call starts or ends, an error) goes as a message on a MessagePort.
 * The first counter change not yet shown is stamped in the buffer, and the thread is woken
 * (Atomics.notify) only on that transition: once per update at most, not once per batch.
 */
import type { CallInfo } from '@parajob/core/backend';
import { type CallListener, isCancellation } from './hub.js';
import { type CallStatus, describeError, type ErrorView } from './tracker.js';

/** Index of the stamp of the first change not yet shown (0: none); the thread waits on it. */
export const UNSEEN = 0;
/** Seconds of throughput kept (the page shows 120). */
export const RING = 128;
export const STAMPS = 4;
export const COUNTS = STAMPS + RING;
/** Running calls with a slot; more at once are fed by messages ('add'). */
export const SLOTS = 256;
export const SLOT_BASE = COUNTS + RING;
/** A slot: the call's sequence number (so a reused slot is told apart), then its counters. */
export const GEN = 0;
export const DISPATCHED = 1;
export const COMPLETED = 2;
export const FAILED = 3;
export const IN_FLIGHT = 4;
export const SLOT_INTS = 5;
const INTS = SLOT_BASE + SLOTS * SLOT_INTS;

/** Times as 31-bit stamps (never 0), read back against the reader's clock: wraps every 24 days. */
const WRAP = 0x7fffffff;
export const stampOf = (at: number): number => (at % WRAP) + 1;
export function timeOf(stamp: number, now: number): number {
  const age = ((((now % WRAP) + 1 - stamp) % WRAP) + WRAP) % WRAP;
  return now - age;
}

/** [dispatched, completed, failed, inFlight] */
export type Counts = [number, number, number, number];

export type FeedMessage =
  | {
      readonly t: 'start';
      readonly seq: number;
      /** -1: no free slot, its counters come as 'add' messages. */
      readonly slot: number;
      readonly id: string;
      readonly backend: string;
      readonly workers: number;
      readonly total: number | null;
      readonly at: number;
    }
  | { readonly t: 'add'; readonly seq: number; readonly counts: Counts; readonly at: number }
  | { readonly t: 'error'; readonly error: ErrorView }
  | {
      readonly t: 'end';
      readonly seq: number;
      readonly at: number;
      readonly status: CallStatus;
      readonly error: string | null;
      readonly total: number | null;
      readonly counts: Counts;
    };

interface FedCall {
  readonly seq: number;
  readonly slot: number;
  readonly total: number | null;
  /** Counters of a call without a slot. */
  readonly own: Counts;
  errors: number;
}

export function sharedCallsBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(INTS * Int32Array.BYTES_PER_ELEMENT);
}

/** The caller's side: a CallListener writing into the shared buffer and the port. */
export class CallFeed implements CallListener {
  private readonly cells: Int32Array;
  private readonly calls = new Map<string, FedCall>();
  private readonly free = Array.from({ length: SLOTS }, (_, i) => SLOTS - 1 - i);
  private seq = 0;

  constructor(
    buffer: SharedArrayBuffer,
    /** The dashboard thread (a Worker), or any port to it. */
    private readonly port: { postMessage(message: FeedMessage): void },
  ) {
    this.cells = new Int32Array(buffer);
  }

  callStarted(info: CallInfo, at: number): void {
    const seq = ++this.seq;
    const slot = this.free.pop() ?? -1;
    if (slot >= 0) {
      const base = SLOT_BASE + slot * SLOT_INTS;
      for (let i = 1; i < SLOT_INTS; i++) Atomics.store(this.cells, base + i, 0);
      Atomics.store(this.cells, base + GEN, seq);
    }
    this.calls.set(info.callId, { seq, slot, total: info.total, own: [0, 0, 0, 0], errors: 0 });
    const { callId: id, backend, workers, total } = info;
    this.port.postMessage({ t: 'start', seq, slot, id, backend, workers, total, at } satisfies FeedMessage);
  }

  batchStarted(callId: string, _first: number, size: number, at: number): void {
    const call = this.calls.get(callId);
    if (call) this.bump(call, size, 0, 0, 1, at);
  }

  batchEnded(
    callId: string,
    first: number,
    size: number,
    at: number,
    _ms: number,
    error: unknown,
    failedTasks: number,
  ): void {
    const call = this.calls.get(callId);
    if (!call) return;
    if (error === undefined) {
      this.bump(call, 0, size - failedTasks, 0, -1, at);
      this.count(at, size);
    } else if (!isCancellation(error)) {
      this.bump(call, 0, 0, 1, -1, at);
      this.error(call, callId, at, error, first);
    } else this.bump(call, 0, 0, 0, -1, at);
  }

  taskFailed(callId: string, taskIndex: number, at: number, error: unknown): void {
    const call = this.calls.get(callId);
    if (!call) return;
    this.bump(call, 0, 0, 1, 0, at);
    this.error(call, callId, at, error, taskIndex);
  }

  callEnded(callId: string, at: number, error: unknown): void {
    const call = this.calls.get(callId);
    if (!call) return;
    this.calls.delete(callId);
    // a call that failed outside its batches (the input threw, a bad argument) still shows why
    if (error !== undefined && call.errors === 0) this.error(call, callId, at, error, null);
    const counts = this.countsOf(call);
    this.port.postMessage({
      t: 'end',
      seq: call.seq,
      at,
      status: error === undefined ? 'completed' : 'failed',
      error: error === undefined ? null : describeError(error, null).message,
      total: call.total ?? (error === undefined ? counts[1] : null),
      counts,
    } satisfies FeedMessage);
    // the reader tells a reused slot by its sequence number, so the slot is free at once
    if (call.slot >= 0) this.free.push(call.slot);
  }

  private countsOf(call: FedCall): Counts {
    if (call.slot < 0) return [...call.own];
    const base = SLOT_BASE + call.slot * SLOT_INTS;
    return [
      this.cells[base + DISPATCHED]!,
      this.cells[base + COMPLETED]!,
      this.cells[base + FAILED]!,
      this.cells[base + IN_FLIGHT]!,
    ];
  }

  private bump(
    call: FedCall,
    dispatched: number,
    completed: number,
    failed: number,
    inFlight: number,
    at: number,
  ) {
    if (call.slot < 0) {
      const own = call.own;
      own[0] += dispatched;
      own[1] += completed;
      own[2] += failed;
      own[3] += inFlight;
      this.port.postMessage({ t: 'add', seq: call.seq, counts: [...own], at } satisfies FeedMessage);
      return;
    }
    const base = SLOT_BASE + call.slot * SLOT_INTS;
    if (dispatched !== 0) Atomics.add(this.cells, base + DISPATCHED, dispatched);
    if (completed !== 0) Atomics.add(this.cells, base + COMPLETED, completed);
    if (failed !== 0) Atomics.add(this.cells, base + FAILED, failed);
    if (inFlight !== 0) Atomics.add(this.cells, base + IN_FLIGHT, inFlight);
    // wake the thread on the first change it has not shown yet; later ones ride along
    if (Atomics.compareExchange(this.cells, UNSEEN, 0, stampOf(at)) === 0) Atomics.notify(this.cells, UNSEEN);
  }

  private error(call: FedCall, callId: string, at: number, error: unknown, index: number | null): void {
    call.errors++;
    this.port.postMessage({
      t: 'error',
      error: { at, callId, ...describeError(error, index) },
    } satisfies FeedMessage);
  }

  /** Tasks completed per second, in a ring of seconds: a second's cell is reset when first reused. */
  private count(at: number, tasks: number): void {
    const second = Math.floor(at / 1000);
    const i = second % RING;
    if (Atomics.load(this.cells, STAMPS + i) >>> 0 !== second >>> 0) {
      Atomics.store(this.cells, COUNTS + i, 0);
      Atomics.store(this.cells, STAMPS + i, second | 0);
    }
    Atomics.add(this.cells, COUNTS + i, tasks);
  }
}
