/**
 * A 16-byte SharedArrayBuffer per batch in which the worker records which task of the batch runs
 * and, when the call has a per-task timeout, since when. The parent reads it without any message round trip: to time tasks from their
 * start (not from queueing) and to name the task a crashed worker was running.
 */
import type { RunningTask } from '@parajob/core/backend';

const POSITION = 0; // Int32 slot 0: position of the running task, -1 before the first one starts
const STARTED_AT = 1; // Float64 slot 1 (bytes 8..15): Date.now() when it started

export class StatusSlot {
  readonly buffer: SharedArrayBuffer;
  private readonly position: Int32Array;
  private readonly startedAt: Float64Array;

  constructor(buffer: SharedArrayBuffer = StatusSlot.allocate()) {
    this.buffer = buffer;
    this.position = new Int32Array(buffer, 0, 1);
    this.startedAt = new Float64Array(buffer, 0, 2);
  }

  static allocate(): SharedArrayBuffer {
    const buffer = new SharedArrayBuffer(16);
    new Int32Array(buffer, 0, 1)[POSITION] = -1;
    return buffer;
  }

  /** Worker side, batches without a time limit: task `position` starts (no clock read per task). */
  mark(position: number): void {
    Atomics.store(this.position, POSITION, position);
  }

  /** Worker side: task `position` starts now. The time is written before the position is published. */
  start(position: number): void {
    this.startedAt[STARTED_AT] = Date.now();
    Atomics.store(this.position, POSITION, position);
  }

  /** Position of the task that runs (or ran last), -1 when none has started. */
  get current(): number {
    return Atomics.load(this.position, POSITION);
  }

  /** Parent side: the running task, read consistently (retried if the worker moved on meanwhile). */
  running(): RunningTask | undefined {
    for (;;) {
      const position = Atomics.load(this.position, POSITION);
      if (position < 0) return undefined;
      const startedAt = this.startedAt[STARTED_AT]!;
      if (Atomics.load(this.position, POSITION) === position) return { position, startedAt };
    }
  }
}
