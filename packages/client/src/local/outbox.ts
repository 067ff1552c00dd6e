/**
 * Messages to (or from) a worker thread, coalesced: everything posted in one turn of the event loop
 * goes as one postMessage of an array, in order, at the end of the turn. 20 000 remote() calls in
 * a loop cost a handful of messages, not 20 000. An `urgent` message (a task for an idle thread, the
 * answer that leaves a thread idle: one task at a time) goes at once when nothing is queued before
 * it, without waiting for the end of the turn; the rest of the turn still goes as one batch. A batch that cannot be cloned is sent again message by message,
 * and each message that cannot be cloned goes to `unsendable` (which answers it with an error).
 */
enum FlushState {
  Idle = 0,
  /** A flush is queued for the end of this turn. */
  Queued = 1,
}

export class Outbox<M> {
  private items: M[] = [];
  private flushState = FlushState.Idle;

  constructor(
    private readonly send: (batch: M | M[]) => void,
    private readonly unsendable: (message: M, cause: unknown) => void,
  ) {}

  post(message: M, urgent = false): void {
    if (urgent && this.items.length === 0) {
      try {
        this.send(message);
        return;
      } catch {
        // sent again, alone, by the flush, which reports it (never from inside the poster's call)
      }
    }
    if (this.flushState === FlushState.Idle) {
      this.flushState = FlushState.Queued;
      queueMicrotask(this.flush);
    }
    this.items.push(message);
  }

  /** The last message queued this turn (a group a caller may add to), if any. */
  lastQueued(): M | undefined {
    return this.items[this.items.length - 1];
  }

  readonly flush = (): void => {
    this.flushState = FlushState.Idle;
    const items = this.items;
    if (items.length === 0) return;
    this.items = [];
    try {
      this.send(items.length === 1 ? items[0]! : items);
    } catch {
      for (const message of items) {
        try {
          this.send(message);
        } catch (cause) {
          this.unsendable(message, cause);
        }
      }
    }
  };
}

/** Handles one message or a batch of them (messages are objects, never arrays). */
export const eachMessage = <M>(data: M | M[], handle: (message: M) => void): void => {
  if (Array.isArray(data)) for (const message of data) handle(message);
  else handle(data);
};
