/**
 * Riding out a NATS server outage (a restart, a reconnect): the driver's operations that only
 * talk to the server (publish a batch, upload or read a large value) are retried until the
 * server answers again, for at most SERVER_OUTAGE_MS. Past that bound the caller gets a typed
 * error naming the server and what to do, never the client's bare `TimeoutError: timeout`.
 */
import { messages } from './messages.js';

/** How long an operation is retried while the server is away (restarting, reconnecting). */
export const SERVER_OUTAGE_MS = 30_000;
const RETRY_EVERY_MS = 250;

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The failures a server outage gives: the client's timeouts and connection errors, "no
 * responders" (JetStream not back yet). Not a refusal (permissions, max_payload, a missing
 * stream): retrying those cannot help.
 */
export function isOutage(error: unknown): boolean {
  const e = error as { name?: unknown; message?: unknown; code?: unknown } | undefined;
  const name = String(e?.name ?? '');
  const text = `${String(e?.message ?? '')} ${String(e?.code ?? '')}`;
  if (/permission|max_payload|authorization/i.test(text)) return false;
  return (
    name === 'TimeoutError' ||
    name === 'ConnectionError' ||
    name === 'NoRespondersError' ||
    /timeout|no responders|disconnect|reconnect|connection (closed|refused|lost)|ECONNREFUSED|ECONNRESET|503|jetstream not (enabled|available)/i.test(
      text,
    )
  );
}

/** A server outage outlasted SERVER_OUTAGE_MS while doing `what`. */
export class ServerOutage extends Error {
  override name = 'ServerOutage';
  constructor(
    readonly what: string,
    cause: unknown,
  ) {
    super(messages.driver.outage(what, SERVER_OUTAGE_MS, String((cause as Error)?.message ?? cause)), {
      cause,
    });
  }
}

/**
 * Runs `op`, retrying outage failures every RETRY_EVERY_MS until it succeeds or `stop()` says to
 * give up (the call was aborted, the session closed); an outage longer than SERVER_OUTAGE_MS
 * rejects with ServerOutage. Only for operations that are safe to repeat (idempotent, or
 * deduplicated by the server).
 */
export async function untilServerBack<T>(
  what: string,
  op: () => Promise<T>,
  stop: () => boolean = () => false,
): Promise<T> {
  const deadline = Date.now() + SERVER_OUTAGE_MS;
  for (;;) {
    try {
      return await op();
    } catch (error) {
      if (!isOutage(error) || stop()) throw error;
      if (Date.now() > deadline) throw new ServerOutage(what, error);
      await delay(RETRY_EVERY_MS);
    }
  }
}
