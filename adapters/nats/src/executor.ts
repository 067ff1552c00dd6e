/**
 * Runs the batches a worker pulled in a local worker-threads pool. Security checks and module
 * resolution happen here, in the worker's main thread, before anything runs: the wire's module
 * references are resolved against --root and --allow, the task functions looked up, source
 * functions refused without --allow-source; the batch then goes to the pool as an ordinary
 * TaskBatch (whose threads import the resolved files themselves).
 */
import vm from 'node:vm';
import {
  delayed,
  type ParallelBackend,
  SequentialBackend,
  TaskBatch,
  type WireBatch,
  type WireFunction,
  type WireResult,
} from '@parajob/core';
import { importingTaskModule, lookupTask, serializeError, TaskFailure } from '@parajob/core/internal';
import { WorkerThreadsBackend } from '@parajob/worker-threads';
import { messages } from './messages.js';
import { type ModulePolicy, moduleResolver } from './module-ref.js';

export interface ExecutorOptions extends ModulePolicy {
  readonly concurrency: number;
  readonly allowSource: boolean;
}

export interface RunOptions {
  readonly signal: AbortSignal;
  readonly timeout: number | null;
}

const CONTEXT = { maxNbytes: null, tempFolder: null, innerMaxNumThreads: null, verbose: 0, log: () => {} };

export class LocalExecutor {
  private readonly pool: ParallelBackend = new WorkerThreadsBackend();
  private readonly resolveModule: (fn: WireFunction) => string;
  private readonly modules = new Map<string, Promise<Record<string, unknown>>>();
  private readonly compiled = new Map<string, Function>();
  private configured: Promise<number> | undefined;

  constructor(private readonly options: ExecutorOptions) {
    this.resolveModule = moduleResolver(options);
  }

  private async lookup(fn: WireFunction): Promise<Function> {
    if (fn.source !== undefined) {
      if (!this.options.allowSource) throw new Error(messages.worker.sourceRefused(fn.name));
      let f = this.compiled.get(fn.source);
      if (f === undefined) {
        // evaluating a function expression only creates the function; the pool's threads compile it again from source
        f = vm.runInThisContext(`(${fn.source})`, { filename: `parajob-task:${fn.name}` }) as Function;
        if (typeof f !== 'function')
          throw new TypeError(`function '${fn.name}' shipped as source is not a function`);
        this.compiled.set(fn.source, f);
      }
      return f;
    }
    const url = this.resolveModule(fn);
    const known = lookupTask(url, fn.name);
    if (known) return known;
    let loading = this.modules.get(url);
    if (loading === undefined) {
      loading = importingTaskModule(url, () => import(url) as Promise<Record<string, unknown>>);
      this.modules.set(url, loading);
      loading.catch(() => this.modules.delete(url));
    }
    const exports = await loading;
    const found = lookupTask(url, fn.name) ?? exports[fn.name];
    if (typeof found !== 'function') {
      throw new Error(
        `the module ${fn.module} registers no task named '${fn.name}' and exports no function of that name`,
      );
    }
    return found;
  }

  /** Runs one batch; never throws for a task's failure (it is part of the result). */
  async run(wire: WireBatch, { signal, timeout }: RunOptions): Promise<WireResult> {
    let fns: Function[];
    try {
      fns = await Promise.all(wire.fns.map((fn) => this.lookup(fn)));
    } catch (error) {
      return { values: [], error: { pos: 0, error: serializeError(error) } };
    }
    const batch = new TaskBatch({
      callId: wire.call,
      firstIndex: wire.first,
      tasks: wire.args.map((args, pos) =>
        delayed(fns[wire.fnOf === null ? 0 : wire.fnOf[pos]!]! as (...a: unknown[]) => unknown)(...args),
      ),
      nested:
        wire.nested === null
          ? null
          : { backend: new SequentialBackend({ nestingLevel: wire.nested.level }), nJobs: wire.nested.nJobs },
      depth: wire.depth,
      settle: wire.settle,
    });
    this.configured ??= this.pool.configure(this.options.concurrency, CONTEXT);
    await this.configured;
    try {
      const values = await this.pool.submit(batch, { signal, timeout });
      const errors: Array<readonly [number, ReturnType<typeof serializeError>]> = [];
      for (let pos = 0; pos < values.length; pos++) {
        const v = values[pos];
        if (v instanceof TaskFailure) {
          errors.push([pos, serializeError(v.error)]);
          values[pos] = undefined;
        }
      }
      return errors.length > 0 ? { values, errors } : { values };
    } catch (error) {
      const index = (error as { taskIndex?: unknown })?.taskIndex;
      const pos = typeof index === 'number' ? index - wire.first : 0;
      return { values: [], error: { pos: Math.max(pos, 0), error: serializeError(error) } };
    }
  }

  async close(): Promise<void> {
    await this.pool.terminate();
  }
}
