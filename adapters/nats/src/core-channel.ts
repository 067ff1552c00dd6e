/**
 * Plain core-NATS messages on a namespace's `parajob.<ns>.streams.` subjects, for
 * @parajob/client's streaming generators: the items of a stream go from the task's pool thread to
 * the driver's inbox as they are yielded, and credit goes back (at-most-once, no JetStream: the
 * batch's result, which is durable, says how the stream ended). Subjects end in unguessable tokens
 * the driver picks, like the reply subjects of batches; only this namespace's prefix is reachable.
 */
import type { NatsConnection, Subscription } from '@nats-io/transport-node';

/** Subject tails: one token of safe characters (no dots, no wildcards). */
const TOKEN = /^[A-Za-z0-9_-]{16,64}$/;

export interface CoreChannel {
  /** The largest message the server takes (bytes). */
  readonly maxPayload: number;
  /** Publishes on `parajob.<ns>.streams.<token>.<leg>`. */
  publish(token: string, leg: 'items' | 'credit', data: Uint8Array): void;
  /** Hears `parajob.<ns>.streams.<token>.<leg>`; returns the unsubscribe. */
  subscribe(token: string, leg: 'items' | 'credit', onMessage: (data: Uint8Array) => void): () => void;
  /** Resolves once the server processed what was sent before (a subscription is in place). */
  flush(): Promise<void>;
}

export function coreChannel(nc: NatsConnection, namespace: string): CoreChannel {
  const subject = (token: string, leg: string) => {
    if (!TOKEN.test(token)) throw new Error(`not a stream token: ${JSON.stringify(token)}`);
    return `parajob.${namespace}.streams.${token}.${leg}`;
  };
  return {
    get maxPayload() {
      return nc.info?.max_payload ?? 1024 * 1024;
    },
    publish: (token, leg, data) => nc.publish(subject(token, leg), data),
    subscribe: (token, leg, onMessage) => {
      const sub: Subscription = nc.subscribe(subject(token, leg), {
        callback: (error, msg) => {
          if (error === null) onMessage(msg.data);
        },
      });
      return () => sub.unsubscribe();
    },
    flush: () => nc.flush(),
  };
}
