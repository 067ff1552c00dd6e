/**
 * The main thread's table of objects that workers may ask for by id: refs that crossed into a
 * worker (nested in arguments or results) and objects made for tasks (their submissions, puts,
 * actor creations and calls). What a task submitted or put is freed when that task ends; the
 * rest lives until the engine closes (see docs/ray-client.md).
 */
import { makeActorHandle } from '../actor-handle.js';
import { toWireError } from '../error-class.js';
import { ObjectFreedError } from '../errors.js';
import { newId } from '../ids.js';
import { messages } from '../messages.js';
import { ObjectRef, RefState } from '../object-ref.js';
import { decodeRefs, encodeRefs, type RefResolver } from '../ref-codec.js';
import type { ActorManager } from './actors.js';
import type { WorkerHandle } from './worker-handle.js';

export class ObjectTable {
  private readonly objects = new Map<string, ObjectRef>();
  /** Set once the actor manager exists (handles that come back from tasks call through it). */
  actors: ActorManager | undefined;

  private readonly exportRef = (ref: ObjectRef) => {
    this.objects.set(ref.id, ref);
  };

  private readonly resolver: RefResolver = {
    ref: (id) => this.objects.get(id) ?? freed(id),
    // a handle that came back from a task: its calls go straight to the actor
    actor: (actorId, name) =>
      makeActorHandle(actorId, name, (method, args) => {
        const ref = new ObjectRef(newId());
        this.actors!.call(actorId, { id: ref.id, method, args, ref, stream: null });
        return ref;
      }),
  };

  /** A value for a worker: refs inside become markers (and stay reachable here). */
  readonly encode = (value: unknown): { value: unknown; refs: boolean } => encodeRefs(value, this.exportRef);

  /** A value from a worker: markers become this table's refs and actor handles. */
  readonly decode = (value: unknown): unknown => decodeRefs(value, this.resolver);

  /** A new object with this id that workers may fetch. */
  create(id: string): ObjectRef {
    const ref = new ObjectRef(id);
    this.objects.set(id, ref);
    return ref;
  }

  /** Sends object `id` to `worker` once it settles; `sent` runs just before. */
  sendWhenSettled(worker: WorkerHandle, id: string, sent: () => void): void {
    const send = (r: ObjectRef) => {
      sent();
      if (r.state === RefState.Ready) {
        const { value, refs } = this.encode(r.value);
        // a task waits for it (urgent: sent at once)
        worker.post({ t: 'object', id, ok: true, value, refs }, true);
      } else
        void toWireError(r.error, undefined).then((error) =>
          worker.post({ t: 'object', id, ok: false, error }),
        );
    };
    (this.objects.get(id) ?? freed(id)).listen(send);
  }

  /**
   * Forgets object `id` once it settles: its creator ended, so no worker holds the id any more
   * (a ref to it that reached the driver or another task is that ref itself, and is put back here
   * if it crosses into a worker again).
   */
  releaseWhenSettled(id: string): void {
    const ref = this.objects.get(id);
    ref?.listen(() => {
      if (this.objects.get(id) === ref) this.objects.delete(id);
    });
  }

  get size(): number {
    return this.objects.size;
  }

  clear(): void {
    this.objects.clear();
  }
}

function freed(id: string): ObjectRef {
  const ref = new ObjectRef(id);
  ref.reject(new ObjectFreedError(messages.freed(id)));
  return ref;
}
