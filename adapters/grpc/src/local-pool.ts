/**
 * Worker side: runs a WireBatch received from a driver in this host's worker-threads pool, and
 * answers in the wire format. The module policy is applied here, in the server's main thread,
 * before anything is imported: a refused module never loads. Allowed task functions are then
 * looked up by their task() registration and handed to the WorkerThreadsBackend, which runs
 * them on its threads with per-task timeouts and per-call aborts.
 */
import vm from 'node:vm';
import {
  type BackendContext,
  delayed,
  type NestedBackend,
  type ParallelBackend,
  SequentialBackend,
  TaskBatch,
  task,
  type WireBatch,
  type WireFunction,
  type WireResult,
} from '@parajob/core';
import {
  createBackend,
  importingTaskModule,
  isRegistered,
  lookupTask,
  type SerializedError,
  serializeError,
  TaskFailure,
} from '@parajob/core/internal';
import { WorkerThreadsBackend } from '@parajob/worker-threads';
import type { ModulePolicy } from './allow.js';

export interface RunOutcome {
  /** The batch ran: its answer (task errors included). */
  readonly result?: WireResult;
  /** A failure not tied to one task of the batch (refused module, lost thread between tasks). */
  readonly failure?: SerializedError;
}

const context = (verbose: number): BackendContext => ({
  maxNbytes: null,
  tempFolder: null,
  innerMaxNumThreads: null,
  verbose,
  log: () => {},
});

export class LocalPool {
  private readonly backend: ParallelBackend;
  private configured: Promise<number> | undefined;
  private readonly modules = new Map<string, Promise<Record<string, unknown>>>();
  private readonly compiled = new Map<string, Function>();

  constructor(
    readonly concurrency: number,
    private readonly policy: ModulePolicy,
  ) {
    this.backend = new WorkerThreadsBackend({});
  }

  start(): Promise<number> {
    this.configured ??= this.backend.configure(this.concurrency, context(0));
    return this.configured;
  }

  /** Never throws: every outcome is an answer for the driver. */
  async run(wire: WireBatch, options: { signal: AbortSignal; timeout: number | null }): Promise<RunOutcome> {
    let fns: Function[];
    try {
      fns = await Promise.all(wire.fns.map((fn) => this.resolveFunction(fn)));
    } catch (error) {
      return { result: { values: [], error: { pos: 0, error: serializeError(error) } } };
    }
    await this.start();
    const tasks = wire.args.map((args, pos) =>
      delayed(fns[wire.fnOf === null ? 0 : wire.fnOf[pos]!]! as (...a: unknown[]) => unknown)(...args),
    );
    const batch = new TaskBatch({
      callId: wire.call,
      firstIndex: wire.first,
      tasks,
      nested: nestedOf(wire),
      depth: wire.depth,
      settle: wire.settle,
    });
    try {
      const values = await this.backend.submit(batch, options);
      return { result: toWireResult(values) };
    } catch (error) {
      const index = (error as { taskIndex?: unknown } | null)?.taskIndex;
      const pos = typeof index === 'number' ? index - wire.first : -1;
      if (pos >= 0 && pos < wire.args.length)
        return { result: { values: [], error: { pos, error: serializeError(error) } } };
      return { failure: serializeError(error) };
    }
  }

  async close(): Promise<void> {
    await this.backend.terminate();
  }

  private async resolveFunction(fn: WireFunction): Promise<Function> {
    if (fn.source !== undefined) {
      this.policy.checkSource(fn);
      return this.compile(fn.name, fn.source);
    }
    const url = this.policy.resolveModule(fn);
    let found = lookupTask(url, fn.name);
    if (found !== undefined) return found;
    let loading = this.modules.get(url);
    if (loading === undefined) {
      loading = importingTaskModule(url, () => import(url) as Promise<Record<string, unknown>>);
      this.modules.set(url, loading);
      loading.catch(() => this.modules.delete(url));
    }
    const exports = await loading;
    found = lookupTask(url, fn.name);
    if (found !== undefined) return found;
    const exported = exports[fn.name];
    if (typeof exported !== 'function') {
      throw new Error(
        `the module ${fn.module} was imported on the worker but registers no task named '${fn.name}' and exports no function of that name; define it with task(import.meta.url, fn) in that module`,
      );
    }
    // a plain export: register it so the pool's threads import it by module instead of by source
    return task(url, exported, { name: fn.name });
  }

  /** Source functions (only with --allow-source): compiled once, shipped to the threads as source again. */
  private compile(name: string, source: string): Function {
    let f = this.compiled.get(source);
    if (f === undefined) {
      f = vm.runInThisContext(`(${source})`, { filename: `parajob-task:${name}` }) as Function;
      if (typeof f !== 'function')
        throw new TypeError(`function '${name}' shipped as source is not a function`);
      this.compiled.set(source, f);
    }
    return f;
  }
}

function nestedOf(wire: WireBatch): NestedBackend | null {
  const n = wire.nested;
  if (n === null) return null;
  const backend = isRegistered(n.backend)
    ? createBackend(n.backend, {}, n.level)
    : new SequentialBackend({ nestingLevel: n.level });
  return { backend, nJobs: n.nJobs };
}

function toWireResult(values: unknown[]): WireResult {
  let errors: Array<readonly [number, SerializedError]> | undefined;
  for (let pos = 0; pos < values.length; pos++) {
    const v = values[pos];
    if (v instanceof TaskFailure) {
      (errors ??= []).push([pos, serializeError(v.error)]);
      values[pos] = undefined;
    }
  }
  return errors === undefined ? { values } : { values, errors };
}
