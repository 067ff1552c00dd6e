/**
 * An idle worker thread sleeps in Atomics.wait on a shared counter the main thread bumps after
 * each message it posts (piscina's `atomics: 'sync'`), and reads its messages with
 * receiveMessageOnPort: waking it costs a futex, not an event-loop turn and a 'message' event.
 * That is most of a one-task-at-a-time call's round trip.
 *
 * It parks only when nothing of its own runs (no task, no actor, no fetch, no stream, no stdio
 * to drain), from a setImmediate (so every microtask of the last task ran first), and for at most
 * PARK_MS at a time: a timer a finished task left behind fires late by that much at most. After a
 * batch of messages (or PARK_MS without one) it goes back to its event loop, so the tasks'
 * promises and the outbox run as usual; its next answer parks it again. A thread that gets no
 * work sleeps in its event loop, not in a polling loop.
 */
import { type MessagePort, receiveMessageOnPort } from 'node:worker_threads';

/** Slots of the shared Int32Array: messages posted so far, and 1 while the thread is parked. */
export const COUNT = 0;
export const PARKED = 1;

/** How long an idle thread watches for the next message before it sleeps. */
const SPIN_MS = 0.05;

/** The longest a parked thread sleeps before giving its event loop a turn. */
const PARK_MS = 20;

enum ParkState {
  Awake = 0,
  /** A setImmediate will park the thread if it is still idle then. */
  Scheduled = 1,
}

export class Parker {
  private state = ParkState.Awake;
  /** The main thread's message count the thread has read up to. */
  private seen: number;

  constructor(
    private readonly counter: Int32Array,
    private readonly port: MessagePort,
    private readonly idle: () => boolean,
    private readonly handle: (data: unknown) => void,
    private readonly flush: () => void,
  ) {
    this.seen = Atomics.load(counter, COUNT);
  }

  /** The thread may have become idle: park it once this turn of the event loop is over. */
  soon(): void {
    if (this.state !== ParkState.Awake) return;
    this.state = ParkState.Scheduled;
    setImmediate(this.park);
  }

  private readonly park = (): void => {
    this.state = ParkState.Awake;
    if (!this.idle() || process.stdout.writableLength > 0 || process.stderr.writableLength > 0) return;
    this.flush();
    // a caller that submits one task at a time sends the next within microseconds: watch the
    // count a moment before sleeping (no futex to wake, for either thread)
    const until = performance.now() + SPIN_MS;
    while (Atomics.load(this.counter, COUNT) === this.seen && performance.now() < until);
    // PARKED is set before the count is compared (in wait); the main thread bumps the count
    // before it reads PARKED: either it notifies, or the wait sees the new count and returns
    Atomics.store(this.counter, PARKED, 1);
    Atomics.wait(this.counter, COUNT, this.seen, PARK_MS);
    Atomics.store(this.counter, PARKED, 0);
    // the count is read before the port: a message posted after this read bumps it again
    this.seen = Atomics.load(this.counter, COUNT);
    // nothing may have come (the wait timed out): the thread then stays in its event loop, where
    // a message wakes it as usual, until its next answer parks it again
    for (
      let entry = receiveMessageOnPort(this.port);
      entry !== undefined;
      entry = receiveMessageOnPort(this.port)
    )
      this.handle(entry.message);
  };
}
