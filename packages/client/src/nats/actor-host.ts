/**
 * Worker side of an actor on NATS, in the pool thread that constructed it: serves its calls until
 * the caller kills it (or stops answering), so the actor's batch holds one slot for its life, as a
 * Ray actor holds its resources. Calls run in the order they were submitted, up to
 * `maxConcurrency` at once (async methods); a streaming method's items go out as a stream
 * (nats/stream-pump.ts) and its call ends with it.
 */
import { toWireError } from '../error-class.js';
import { messages } from '../messages.js';
import type { ACTOR_BOX, ActorBox, CallerMessage, HostMessage } from './actor-wire.js';
import { type PumpIo, pump } from './stream-pump.js';
import { decodeMessage, encodeMessage, newToken } from './stream-wire.js';

/** The host says it is alive this often; the caller answers. */
const ANNOUNCE_MS = 5_000;
/** Announces without any answer before the caller is taken for gone (the actor then stops). */
const MAX_SILENT_ANNOUNCES = 24;

type Call = Extract<CallerMessage, { k: 'call' }>;

enum HostState {
  Serving = 0,
  Stopped = 1,
}

/** Hosts `instance` until killed; resolves then (the batch's value: null). */
export function host(
  instance: unknown,
  box: ActorBox[typeof ACTOR_BOX],
  io: PumpIo,
  decodeArg: (value: unknown) => unknown,
): Promise<null> {
  const { token, maxConcurrency } = box;
  const p = newToken();
  const queue: Call[] = [];
  let next = 0;
  let active = 0;
  let state = HostState.Serving as HostState;
  let silent = 0;
  const send = (m: HostMessage) => {
    if (state === HostState.Serving) io.channel.publish(token, 'items', encodeMessage(m));
  };
  return new Promise<null>((resolve) => {
    const stop = () => {
      if (state === HostState.Stopped) return;
      state = HostState.Stopped;
      clearInterval(announce);
      unsubscribe();
      resolve(null);
    };
    const run = () => {
      while (state === HostState.Serving && active < maxConcurrency && queue[0]?.n === next) {
        const call = queue.shift()!;
        next++;
        active++;
        void invoke(call).then((done) => {
          active--;
          send(done);
          run();
        });
      }
    };
    const invoke = async (call: Call): Promise<HostMessage> => {
      try {
        // the class's own methods only: not its constructor nor what every object inherits
        const method =
          call.m === 'constructor' || call.m in Object.prototype
            ? undefined
            : (instance as Record<string, unknown>)[call.m];
        if (typeof method !== 'function')
          throw new TypeError(messages.actorMethod((instance as object).constructor.name, call.m));
        const out = method.apply(instance, call.a.map(decodeArg));
        const value = call.s === undefined ? await out : await pump(out, call.s, io);
        return { k: 'done', p, n: call.n, v: value };
      } catch (error) {
        return { k: 'done', p, n: call.n, e: await toWireError(error, undefined) };
      }
    };
    const unsubscribe = io.channel.subscribe(token, 'credit', (data) => {
      const m = decodeMessage<CallerMessage>(data);
      if (m === undefined || m.p !== p) return;
      silent = 0;
      if (m.k === 'kill') stop();
      else if (m.k === 'call' && Number.isSafeInteger(m.n) && m.n >= next && Array.isArray(m.a)) {
        // calls arrive in order from one publisher; sorted anyway, so `next` decides what runs
        queue.push(m);
        queue.sort((a, b) => a.n - b.n);
        run();
      }
    });
    const announce = setInterval(() => {
      if (++silent > MAX_SILENT_ANNOUNCES) stop();
      else send({ k: 'start', p });
    }, ANNOUNCE_MS);
    void io.channel.flush().then(
      () => send({ k: 'start', p }),
      () => stop(),
    );
  });
}
