/**
 * ObjectRefs inside task arguments on NATS (Ray's "refs nested in an argument are passed as refs").
 * A ref has one owner: the engine that made it (the driver, or the ambient client of a task on a
 * worker). When a ref travels inside an argument, its owner picks a name in the namespace's object
 * store and stores the ref's outcome there once it settles (Ray's owner-based object transfer,
 * with the object store as the transport: values of any size, chunked). The argument goes as
 *
 *   { $parajobNestedRefs: { value: <the argument, refs as markers>, at: { [refId]: location } } }
 *
 * and the receiving thread (see ambient.ts) rebuilds refs that read their location only when the
 * task waits on them. A location is `v:<name>` for a put() value (stored as is) or `r:<name>` for
 * an outcome stored by its owner ({ ok, value } or { ok: false, error }).
 */

import { deserializeError, type SerializedError, serializeError } from '@parajob/core/backend';
import type { Cluster } from '@parajob/nats';
import { messages } from '../messages.js';
import { ObjectRef, RefState } from '../object-ref.js';
import { decodeRefs, encodeRefs } from '../ref-codec.js';

const KEY = '$parajobNestedRefs';

interface Envelope {
  readonly [KEY]: { readonly value: unknown; readonly at: Record<string, string> };
}

type Stored =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: SerializedError };

/** First and longest pause between two reads of an object not stored yet. */
const FIRST_POLL_MS = 2;
const MAX_POLL_MS = 100;
/** The object store keeps objects this long (adapters/nats resources.ts): no owner stores later. */
const MAX_WAIT_MS = 60 * 60_000;

/** True for an argument encoded by encodeArg (checked for each top-level argument on workers). */
export function isEnvelope(value: unknown): value is Envelope {
  return (
    typeof value === 'object' &&
    value !== null &&
    Object.getPrototypeOf(value) === Object.prototype &&
    (value as Record<string, unknown>)[KEY] !== undefined
  );
}

enum ObjectsState {
  Open = 0,
  Closed = 1,
}

export class NatsObjects {
  private state = ObjectsState.Open;
  /** Where each ref that travelled is, or will be: put(), sent inside an argument, or received. */
  private readonly locations = new WeakMap<ObjectRef, Promise<string>>();

  constructor(private readonly cluster: () => Promise<Cluster>) {}

  /** A put() ref: its value is stored as is under `name`. */
  notePut(ref: ObjectRef, name: Promise<string>): void {
    const location = name.then((n) => `v:${n}`);
    location.catch(() => {});
    this.locations.set(ref, location);
  }

  /** The stored name of a put() value this engine knows of (a ref it put or received), if any. */
  async putName(ref: ObjectRef): Promise<string | undefined> {
    const location = await this.locations.get(ref);
    return location?.startsWith('v:') ? location.slice(2) : undefined;
  }

  /** `value` as sent: undefined when it holds no refs (sent as it is). */
  async encodeArg(value: unknown): Promise<Envelope | undefined> {
    const refs: ObjectRef[] = [];
    const encoded = encodeRefs(value, (ref) => refs.push(ref));
    if (!encoded.refs) return undefined;
    if (refs.length === 0) throw new TypeError(messages.actorHandleOnNats());
    const at: Record<string, string> = {};
    await Promise.all(
      refs.map(async (ref) => {
        at[ref.id] = await this.locationOf(ref);
      }),
    );
    return { [KEY]: { value: encoded.value, at } };
  }

  /** The argument with its refs rebuilt (they read their value when a task waits on them). */
  decodeArg(envelope: Envelope): unknown {
    const { value, at } = envelope[KEY];
    return decodeRefs(value, {
      ref: (id) => this.received(id, at[id]),
      actor: () => {
        throw new TypeError(messages.actorHandleOnNats());
      },
    });
  }

  private locationOf(ref: ObjectRef): Promise<string> {
    let location = this.locations.get(ref);
    if (location === undefined) {
      location = this.export(ref);
      this.locations.set(ref, location);
    }
    return location;
  }

  /** This engine owns `ref`: it stores the ref's outcome once it has it. */
  private async export(ref: ObjectRef): Promise<string> {
    const cluster = await this.cluster();
    const name = await cluster.valueName();
    ref.listen(() => {
      const outcome: Stored =
        ref.state === RefState.Ready
          ? { ok: true, value: ref.value }
          : { ok: false, error: serializeError(ref.error) };
      // a value that cannot be stored is reported to its readers as that error
      cluster
        .storeAs(name, outcome)
        .catch((error) => cluster.storeAs(name, { ok: false, error: serializeError(error) } satisfies Stored))
        .catch(() => {});
    });
    return `r:${name}`;
  }

  private received(id: string, location: string | undefined): ObjectRef {
    const ref = new ObjectRef(id);
    if (typeof location !== 'string' || !/^[vr]:/.test(location)) {
      ref.reject(new TypeError(messages.nestedRefLocation(id)));
      return ref;
    }
    this.locations.set(ref, Promise.resolve(location));
    ref.onDemand = () => {
      this.fetch(ref, location).catch((error) => ref.reject(error));
    };
    return ref;
  }

  /** Reads a received ref's object, waiting (bounded) while its owner has not stored it yet. */
  private async fetch(ref: ObjectRef, location: string): Promise<void> {
    const cluster = await this.cluster();
    const name = location.slice(2);
    const deadline = Date.now() + MAX_WAIT_MS;
    for (
      let pause = FIRST_POLL_MS;
      this.state === ObjectsState.Open;
      pause = Math.min(pause * 2, MAX_POLL_MS)
    ) {
      const read = await cluster.readStored(name);
      if (read !== 'missing') {
        if (location.startsWith('v:')) ref.resolve(read.value);
        else {
          const stored = read.value as Stored;
          if (stored.ok) ref.resolve(stored.value);
          else ref.reject(deserializeError(stored.error));
        }
        return;
      }
      if (Date.now() > deadline) throw new Error(messages.nestedRefLost(ref.id, MAX_WAIT_MS));
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
    throw new Error(messages.closed());
  }

  close(): void {
    this.state = ObjectsState.Closed;
  }
}
