/**
 * The ambient client of tasks on a NATS worker (`parajob worker nats`): inside such a task,
 * `currentClient()` is a client of the cluster the task runs on, so it can remote/get/wait/put
 * (Ray's nested tasks). Installed when this module loads in one of the worker's pool threads — the
 * worker hands its connection options to its threads as environment data (@parajob/nats
 * worker-nested.ts) — and connected at its first use, with the worker's own credentials.
 *
 * Also installed here: the rewrite of task arguments that turns the refs a caller passed inside
 * an argument back into ObjectRefs (nats/objects.ts).
 *
 * A task waiting in get()/wait() on refs not ready (or awaiting a ref its own remote() returned)
 * tells the worker's main thread, which lends its slot to another batch until the task resumes: a
 * chain or tree of tasks deeper than the worker's slots cannot deadlock.
 */
import { BroadcastChannel, getEnvironmentData, isMainThread } from 'node:worker_threads';
import { setWorkerArgsHook, setWorkerResultHook } from '@parajob/core/internal';
import type { ClusterOptions } from '@parajob/nats';
import { Client } from '../client.js';
import { setDriverClient } from '../context.js';
import { NatsEngine } from '../nats-engine.js';
import { ObjectRef, RefState } from '../object-ref.js';
import type { TaskOptions } from '../options.js';
import type { RemoteFunction } from '../remote.js';
import type { GetOptions, WaitOptions, WaitResult } from '../waiting.js';
import { host } from './actor-host.js';
import { ACTOR_BOX, isActorBox } from './actor-wire.js';
import { isEnvelope } from './objects.js';
import { pump } from './stream-pump.js';
import { isStreamBox, STREAM_BOX } from './stream-wire.js';

/** @parajob/nats worker-nested.ts AMBIENT_KEY (the same string: this module must not load the NATS client). */
const AMBIENT_KEY = 'parajob:nats-ambient';

interface AmbientSettings {
  readonly connection: ClusterOptions;
  readonly channel: string;
}

const anyPending = (refs: ObjectRef | readonly ObjectRef[]): boolean =>
  Array.isArray(refs)
    ? (refs as readonly ObjectRef[]).some((r) => r?.state === RefState.Pending)
    : (refs as ObjectRef)?.state === RefState.Pending;

/** A client whose get()/wait() on refs not ready, and `await` of its own refs, lend the task's slot while they wait. */
class AmbientClient extends Client {
  constructor(
    engine: NatsEngine,
    private readonly loans: BroadcastChannel,
  ) {
    super(engine);
  }

  private async blocked<T>(refs: ObjectRef | readonly ObjectRef[], wait: () => Promise<T>): Promise<T> {
    if (!anyPending(refs)) return wait();
    this.loans.postMessage(1);
    try {
      return await wait();
    } finally {
      this.loans.postMessage(-1);
    }
  }

  /** `await ref` on a task's own child lends its slot too, as get() does. */
  override remote<F extends (...args: any[]) => any>(fn: F, options?: TaskOptions): RemoteFunction<F> {
    return this.lending(super.remote(fn, options)) as RemoteFunction<F>;
  }

  private lending(inner: RemoteFunction<any, any>): RemoteFunction<any, any> {
    return {
      remote: (...args: unknown[]) => {
        const result = (inner.remote as (...a: unknown[]) => unknown)(...args);
        for (const ref of Array.isArray(result) ? result : [result])
          if (ref instanceof ObjectRef) this.lendOnAwait(ref);
        return result as never;
      },
      options: (more: TaskOptions) => this.lending(inner.options(more)),
    };
  }

  private lendOnAwait(ref: ObjectRef): void {
    const then = ref.then;
    Object.defineProperty(ref, 'then', {
      value: (onFulfilled?: (v: unknown) => unknown, onRejected?: (e: unknown) => unknown) =>
        this.blocked(ref, () => then.call(ref, (v) => v)).then(onFulfilled, onRejected),
    });
  }

  override get(refs: any, options?: GetOptions): Promise<any> {
    return this.blocked(refs, () => super.get(refs, options));
  }

  override wait<T>(refs: readonly ObjectRef<T>[], options?: WaitOptions): Promise<WaitResult<T>> {
    return this.blocked(refs, () => super.wait(refs, options));
  }
}

function install(settings: AmbientSettings): void {
  const engine = NatsEngine.lazy(settings.connection);
  const loans = new BroadcastChannel(settings.channel);
  // the channel must not keep an idle thread alive
  loans.unref();
  setDriverClient(new AmbientClient(engine, loans));
  setWorkerArgsHook((args) => {
    let out: unknown[] | undefined;
    for (let i = 0; i < args.length; i++) {
      let a = args[i];
      // a streaming task's or an actor's first argument, boxed (driven by the result hook below)
      if (isStreamBox(a) || isActorBox(a)) (out ??= args.slice())[i] = a = a.arg;
      if (isEnvelope(a)) (out ??= args.slice())[i] = engine.decodeArg(a);
    }
    return out ?? args;
  });
  // a streaming task, or an actor, travels alone in its batch, its first argument boxed
  // (args[0][0] in either layout): its generator is driven here, in the thread that holds it,
  // until it ends or is closed; an actor's instance is hosted here until it is killed
  setWorkerResultHook((wire, values) => {
    const first = wire.size === 1 ? (wire.args[0] as readonly unknown[] | undefined)?.[0] : undefined;
    if (isActorBox(first)) {
      const decode = (a: unknown) => (isEnvelope(a) ? engine.decodeArg(a) : a);
      return engine
        .streamIo()
        .then((io) => host(values[0], first[ACTOR_BOX], io, decode))
        .then((value) => [value]);
    }
    if (!isStreamBox(first)) return undefined;
    return engine
      .streamIo()
      .then((io) => pump(values[0], first[STREAM_BOX], io))
      .then((value) => [value]);
  });
}

if (!isMainThread) {
  const settings = getEnvironmentData(AMBIENT_KEY) as AmbientSettings | undefined;
  if (settings !== undefined && typeof settings === 'object' && settings.connection !== undefined)
    install(settings);
}
