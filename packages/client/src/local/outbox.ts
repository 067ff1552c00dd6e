/**
 * Messages to (or from) a worker thread, coalesced: the first message of a turn of the event loop
 * goes at once (one task at a time waits for no microtask), everything posted after it in that
 * turn goes as one postMessage of an array, in order. 20 000 remote() calls in a loop cost a
 * handful of messages, not 20 000. A batch that cannot be cloned is sent again message by message,
 * and each message that cannot be cloned goes to `unsendable` (which answers it with an error).
 */
export class Outbox<M> {
  private items: M[] = [];
  /** A message went at once this turn; the flush at the end of the turn sends what follows it. */
  private sentThisTurn = false;

  constructor(
    private readonly send: (batch: M | M[]) => void,
    private readonly unsendable: (message: M, cause: unknown) => void,
  ) {}

  post(message: M): void {
    if (!this.sentThisTurn) {
      // while sentThisTurn is set, a flush is queued (only the flush clears it)
      this.sentThisTurn = true;
      queueMicrotask(this.flush);
      if (this.items.length === 0) {
        try {
          this.send(message);
          return;
        } catch {
          // sent again, alone, by the flush, which reports it (never from inside the poster's call)
        }
      }
    }
    this.items.push(message);
  }

  readonly flush = (): void => {
    this.sentThisTurn = false;
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
