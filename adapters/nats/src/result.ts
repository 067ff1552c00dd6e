/** Task and result message bodies, and the driver's decoding of what came back for a batch. */
import type { ObjectStore } from '@nats-io/obj';
import type { WireBatch, WireResult } from '@parajob/core/backend';
import { fetchBody, restoreBlobs, unpack } from './codec.js';
import { H } from './names.js';
import type { Delivery } from './session.js';

export interface TaskBody {
  readonly wire: WireBatch;
  /** Per-task limit in ms from each task's start, or null. */
  readonly timeout: number | null;
}

export type ResultBody =
  | { readonly kind: 'result'; readonly result: WireResult }
  /** A worker saw the batch delivered more times than allowed: earlier attempts all died. */
  | { readonly kind: 'crashed'; readonly attempts: number }
  | { readonly kind: 'cancelled' }
  /**
   * A stopping worker (SIGTERM/SIGINT) gave the batch back, before it ran or when its shutdown
   * grace ran out: not a crash, so the driver sends it again as a new message (its delivery
   * count starts over) instead of the worker nak-ing it (a nak counts towards max deliveries).
   */
  | { readonly kind: 'handedBack' }
  /** A worker dropped the batch: its driver session's record had expired (see liveness.ts). */
  | { readonly kind: 'abandoned' };

export type Decoded = (ResultBody | { readonly kind: 'exhausted'; readonly attempts: number }) & {
  readonly blobs: string[];
};

export async function decodeDelivery(
  delivery: Delivery,
  store: () => Promise<ObjectStore>,
): Promise<Decoded> {
  if (delivery.kind === 'exhausted') return { kind: 'exhausted', attempts: delivery.attempts, blobs: [] };
  const bodyBlob = delivery.headers?.get(H.blob);
  const data = bodyBlob ? await fetchBody(bodyBlob, store) : delivery.data;
  const body = unpack<ResultBody>(data);
  const blobs = bodyBlob ? [bodyBlob] : [];
  if (body.kind !== 'result') return { ...body, blobs };
  const restored = await restoreBlobs(body.result.values, store);
  blobs.push(...restored.names);
  return { kind: 'result', result: { ...body.result, values: restored.value as unknown[] }, blobs };
}
