/**
 * ActorHandle: `handle.method.remote(...args)` returns a ref of the method's result. A Proxy, so
 * every method of the class is there without listing them; it is not a thenable (no `then`), so
 * `await client.actor(...)` gives the handle itself.
 */
import type { ObjectRefGenerator } from './generator.js';
import type { ObjectRef } from './object-ref.js';
import type { RemoteArgs } from './remote.js';

type MethodKeys<T> = { [K in keyof T]: T[K] extends (...args: any[]) => any ? K : never }[keyof T];

export type ActorMethod<M> = M extends (...args: infer A) => infer R
  ? {
      remote(
        ...args: RemoteArgs<A>
      ): [R] extends [never]
        ? ObjectRef<never>
        : R extends AsyncGenerator<infer Y, any, any>
          ? ObjectRefGenerator<Y>
          : ObjectRef<Awaited<R>>;
    }
  : never;

export type ActorHandle<T> = { readonly [K in MethodKeys<T> & string]: ActorMethod<T[K]> } & {
  readonly actorId: string;
};

const handles = new WeakMap<object, { readonly id: string; readonly name: string }>();

export function makeActorHandle<T>(
  actorId: string,
  name: string,
  call: (method: string, args: unknown[]) => unknown,
): ActorHandle<T> {
  const methods = new Map<string, { remote: (...args: unknown[]) => unknown }>();
  const handle = new Proxy(Object.freeze({ actorId }), {
    get(_target, key) {
      if (key === 'actorId') return actorId;
      if (typeof key !== 'string' || key === 'then' || key === 'toJSON') return undefined;
      if (key === 'toString') return () => `ActorHandle(${name}, ${actorId})`;
      let method = methods.get(key);
      if (method === undefined) {
        method = { remote: (...args: unknown[]) => call(key, args) };
        methods.set(key, method);
      }
      return method;
    },
  });
  handles.set(handle, { id: actorId, name });
  return handle as unknown as ActorHandle<T>;
}

export function actorIdOf(handle: unknown): string | undefined {
  return typeof handle === 'object' && handle !== null ? handles.get(handle)?.id : undefined;
}

export function actorNameOf(handle: unknown): string | undefined {
  return typeof handle === 'object' && handle !== null ? handles.get(handle)?.name : undefined;
}
