/**
 * The protocol of an actor on NATS (nats/actors.ts, the driver; nats/actor-host.ts, the worker's
 * pool thread). The actor is a batch of one task, its class constructed with its arguments (the
 * first one boxed with the actor's token), which its pool thread then hosts until it is killed:
 * calls arrive on `parajob.<ns>.streams.<token>.credit` (the caller's leg), replies go back on
 * `.items` (the host's leg). Every message names its host (one per delivery of the batch): a new
 * host means the actor restarted on another worker (its constructor ran again).
 */
import type { WireError } from '../error-class.js';

export const ACTOR_BOX = '__parajobActor';

export interface ActorBox {
  readonly [ACTOR_BOX]: { readonly token: string; readonly maxConcurrency: number };
  readonly arg: unknown;
}

export const isActorBox = (value: unknown): value is ActorBox =>
  typeof value === 'object' && value !== null && ACTOR_BOX in value;

export type HostMessage =
  /** Constructed and listening (sent again now and then: the caller answers, or the host stops). */
  | { readonly k: 'start'; readonly p: string }
  /** Call `n` returned (`v`) or threw (`e`). */
  | {
      readonly k: 'done';
      readonly p: string;
      readonly n: number;
      readonly v?: unknown;
      readonly e?: WireError;
    };

export type CallerMessage =
  /** Call `n` (from 0, in submission order); a streaming method's items go to the stream `s`. */
  | {
      readonly k: 'call';
      readonly p: string;
      readonly n: number;
      readonly m: string;
      readonly a: readonly unknown[];
      readonly s?: { readonly token: string; readonly window: number };
    }
  /** The caller is there (the answer to a repeated start). */
  | { readonly k: 'alive'; readonly p: string }
  /** kill(): the host stops serving, its batch ends, its slot is freed. */
  | { readonly k: 'kill'; readonly p: string };
