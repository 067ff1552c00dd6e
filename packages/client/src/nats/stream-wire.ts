/**
 * The protocol of a streaming task on NATS (nats/streams.ts, the driver; nats/stream-pump.ts, the
 * worker's pool thread). The task travels alone in an ordinary batch whose first argument is boxed
 * with the stream's token; the pool thread unboxes it, drives the generator and sends each item on
 * `parajob.<ns>.streams.<token>.items`; the driver sends credit (items taken, cumulative, so a lost
 * message is covered by the next) and close on `.credit`. Every message names its producer (one
 * per delivery of the batch): a second producer after items means the first one's worker died.
 */
import { randomBytes } from 'node:crypto';
import { deserialize, serialize } from 'node:v8';

export const STREAM_BOX = '__parajobStream';

/** The first argument of a streaming task, boxed with what its pool thread needs. */
export interface StreamBox {
  readonly [STREAM_BOX]: { readonly token: string; readonly window: number };
  readonly arg: unknown;
}

export type ProducerMessage =
  /** The producer listens for credit (sent again while it waits for credit: the driver answers). */
  | { readonly k: 'start'; readonly p: string }
  /** Item `n` (from 0), inline or stored in the object store under `s` (too big for a message). */
  | { readonly k: 'item'; readonly p: string; readonly n: number; readonly v?: unknown; readonly s?: string }
  /** No item after the `n` sent (the generator returned, threw or was closed). */
  | { readonly k: 'end'; readonly p: string; readonly n: number };

export type DriverMessage =
  | { readonly k: 'credit'; readonly p: string; readonly n: number }
  | { readonly k: 'close'; readonly p: string };

export const newToken = (): string => randomBytes(18).toString('base64url');

export const isStreamBox = (value: unknown): value is StreamBox =>
  typeof value === 'object' && value !== null && STREAM_BOX in value;

/** Any message of the stream and actor protocols: a kind and the producer (or host) it concerns. */
interface Message {
  readonly k: string;
  readonly p: string;
}

export const encodeMessage = <T extends Message>(m: T): Uint8Array => serialize(m);

/** A message, or undefined for bytes that are not one (anyone may publish on a subject). */
export function decodeMessage<T extends Message>(data: Uint8Array): T | undefined {
  try {
    const m = deserialize(data) as T;
    return typeof m === 'object' && m !== null && typeof m.k === 'string' && typeof m.p === 'string'
      ? m
      : undefined;
  } catch {
    return undefined;
  }
}
