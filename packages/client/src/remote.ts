/** Types of remote functions: `client.remote(fn).remote(...args)` and `.options({...})`. */
import type { ObjectRefGenerator } from './generator.js';
import type { ObjectRef } from './object-ref.js';
import type { TaskOptions } from './options.js';

/** Arguments of a remote call: each may also be an ObjectRef of that type (resolved before the task runs). */
export type RemoteArgs<A extends unknown[]> = { [K in keyof A]: A[K] | ObjectRef<A[K]> };

/** What `.remote()` returns: a ref, a list of refs (numReturns > 1), or a generator of refs (streaming). */
export type RemoteResult<F extends (...args: any[]) => any, N = 1> = [ReturnType<F>] extends [never]
  ? ObjectRef<never>
  : ReturnType<F> extends AsyncGenerator<infer Y, any, any>
    ? ObjectRefGenerator<Y>
    : N extends 'streaming'
      ? ObjectRefGenerator<unknown>
      : N extends 1
        ? ObjectRef<Awaited<ReturnType<F>>>
        : ObjectRef<unknown>[];

export interface RemoteFunction<F extends (...args: any[]) => any, N = 1> {
  remote(...args: RemoteArgs<Parameters<F>>): RemoteResult<F, N>;
  /** The same function with other options (Ray's `.options()`); the original is unchanged. */
  options<const O extends TaskOptions>(
    options: O,
  ): RemoteFunction<F, O extends { numReturns: infer M } ? M : N>;
}
