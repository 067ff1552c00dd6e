/**
 * The worker-side runtime every out-of-process adapter uses: resolve each function reference
 * (import the module once, or compile the source once; both cached), run the batch's tasks in
 * order with the nested-backend config active, and answer with results or serialized errors.
 */
import { findUncloneable } from './clone-check.js';
import { runInScope, type Scope } from './config.js';
import { SerializationError } from './errors.js';
import { currentInstrumentation } from './instrumentation.js';
import { messages } from './messages.js';
import { serializeError } from './serialize-error.js';
import { TableRun } from './table-run.js';
import { importingTaskModule, lookupTask } from './task.js';
import { TaskTable } from './task-table.js';
import { ensureTypeScriptFor } from './typescript.js';
import { mapWireArgs, type WireBatch, type WireFunction, type WireResult } from './wire.js';

export interface RunBatchOptions {
  /** Called as each task starts (position in the batch): adapters use it for timeouts and crash reports. */
  readonly onTaskStart?: (position: number) => void;
  /** Maps a wire module reference to an importable URL, and refuses what is not allowed (remote workers). */
  readonly resolveModule?: (fn: WireFunction) => string;
  /** False on remote workers not started with --allow-source: source-shipped functions are refused. */
  readonly allowSource?: boolean | ((fn: WireFunction) => void);
  /**
   * Rewrites argument values before the calls (e.g. shared-buffer references back into typed
   * arrays). Called with each element of `wire.args` that is an array — a task's argument list,
   * or an argument column in columnar batches (Float64Array columns of numbers are left as they
   * are) — so it must map element by element.
   */
  readonly mapArgs?: (args: readonly unknown[]) => readonly unknown[];
}

const modules = new Map<string, Promise<Record<string, unknown>>>();

/**
 * A rewrite of task arguments installed by a library loaded in this worker (the Ray-like client
 * turns the ObjectRef markers of its arguments back into refs), applied after `mapArgs`. Cheap
 * when it has nothing to do: it sees each argument list once.
 */
let workerArgsHook: ((args: readonly unknown[]) => readonly unknown[]) | undefined;

/** Installs (or removes, with undefined) this worker's argument rewrite (see workerArgsHook). */
export function setWorkerArgsHook(
  hook: ((args: readonly unknown[]) => readonly unknown[]) | undefined,
): void {
  workerArgsHook = hook;
}

/**
 * A rewrite of a batch's results installed by a library loaded in this worker, awaited before the
 * batch answers (the Ray-like client drives a streaming task's generator to its end here, sending
 * its items as they come). Returns undefined when it has nothing to do; a rejection fails the
 * batch's first task with that error (only one-task batches are meant to be rewritten).
 */
let workerResultHook:
  | ((wire: WireBatch, values: readonly unknown[]) => Promise<unknown[]> | undefined)
  | undefined;

/** Installs (or removes, with undefined) this worker's result rewrite (see workerResultHook). */
export function setWorkerResultHook(hook: typeof workerResultHook): void {
  workerResultHook = hook;
}

/** Registered classes, made callable: a class registered with task() is constructed with `new`. */
const constructors = new WeakMap<Function, Function>();

/**
 * A class registered with task() (the Ray-like client's actor classes) cannot be called; its
 * batch constructs it instead, and the instance is the task's value (the client's result hook
 * hosts it). Anything else is returned as it is.
 */
function callable(fn: Function): Function {
  let made = constructors.get(fn);
  if (made === undefined) {
    const isClass = /^class\b/.test(Function.prototype.toString.call(fn));
    made = isClass ? (...args: unknown[]) => new (fn as new (...a: unknown[]) => unknown)(...args) : fn;
    constructors.set(fn, made);
  }
  return made;
}

const compiled = new Map<string, Function>();

/**
 * Node 20 flags vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER as experimental and warns on the
 * first `import()` of compiled code. It is Node's documented way to give compiled code `import()`
 * (a callback needs --experimental-vm-modules); the user did not ask for it, so the warning is not
 * theirs to see. Only that one warning is dropped, from the first compile on.
 */
let loaderWarningDropped = false;
function dropLoaderWarning(): void {
  if (loaderWarningDropped) return;
  loaderWarningDropped = true;
  const emit = process.emitWarning;
  process.emitWarning = function (this: unknown, warning: string | Error, ...rest: unknown[]) {
    const text = typeof warning === 'string' ? warning : warning?.message;
    if (typeof text === 'string' && text.includes('USE_MAIN_CONTEXT_DEFAULT_LOADER')) return;
    return (emit as (...args: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
}

function compile(fn: WireFunction & { source: string }): Function {
  let f = compiled.get(fn.source);
  if (f === undefined) {
    try {
      // strict, as the caller's ES module code is (a method called without its object throws
      // there too); `await import()` inside the function uses Node's own loader
      dropLoaderWarning();
      // node:vm loads at the first function shipped as source, not in every worker
      const vm = process.getBuiltinModule('node:vm');
      f = vm.runInThisContext(`'use strict';(${fn.source})`, {
        filename: `parajob-task:${fn.name}`,
        importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
      }) as Function;
    } catch (error) {
      throw new SerializationError(messages.ship.unparsable(fn.name, (error as Error).message), {
        path: 'fn',
        phase: 'function',
        cause: error,
      });
    }
    if (typeof f !== 'function') {
      throw new SerializationError(messages.ship.unparsable(fn.name, 'it is not a function'), {
        path: 'fn',
        phase: 'function',
      });
    }
    compiled.set(fn.source, f);
  }
  return f;
}

/** Resolves one wire function reference: compiled source (cached) or the task registered by its module. */
export async function resolveFunction(fn: WireFunction, options: RunBatchOptions): Promise<Function> {
  if (fn.source !== undefined) {
    if (options.allowSource === false) {
      throw new Error(
        `this worker refuses functions shipped as source ('${fn.name}'): start it with --allow-source, or define the function with task() in an allowed module`,
      );
    }
    if (typeof options.allowSource === 'function') options.allowSource(fn);
    return compile(fn as WireFunction & { source: string });
  }
  const url = options.resolveModule ? options.resolveModule(fn) : fn.module!;
  const registered = lookupTask(url, fn.name);
  if (registered) return registered;
  let loading = modules.get(url);
  if (loading === undefined) {
    loading = importingTaskModule(url, async () => {
      await ensureTypeScriptFor(url);
      return (await import(url)) as Record<string, unknown>;
    });
    modules.set(url, loading);
    loading.catch(() => modules.delete(url));
  }
  await loading;
  // only functions the module registered with task(): a plain export is never callable by name,
  // so a remote driver cannot call whatever an allowed module happens to export
  const found = lookupTask(url, fn.name);
  if (found === undefined) throw new Error(messages.ship.moduleWithoutTask(url, fn.name));
  return found;
}

/**
 * Loads the task modules of a batch (cached) without running anything; a failure is left for
 * runBatch to report. Workers call it before a batch enters its call's async context: on Node 20
 * an active AsyncLocalStorage makes every promise pay for promise hooks, and loading modules
 * makes many (measured: a third more CPU for the first import of a task module).
 */
export async function preloadFunctions(wire: WireBatch, options: RunBatchOptions = {}): Promise<void> {
  await Promise.all(wire.fns.map((fn) => resolveFunction(fn, options).catch(() => undefined)));
}

/** A ReferenceError thrown by a source-shipped function itself means it used a variable of its enclosing scope. */
function explainClosure(error: unknown, fn: WireFunction): unknown {
  if (fn.source === undefined || !(error instanceof ReferenceError)) return error;
  const variable = /^(\S+) is not defined$/.exec(error.message)?.[1];
  const frame = error.stack?.split('\n').find((line) => line.trimStart().startsWith('at '));
  if (!variable || !frame?.includes('parajob-task:')) return error;
  const explained = new ReferenceError(messages.ship.closure(fn.name, variable), { cause: error });
  explained.stack = `${explained.name}: ${explained.message}\n${error.stack?.split('\n').slice(1).join('\n') ?? ''}`;
  return explained;
}

function scopeOf(wire: WireBatch): Scope {
  return {
    config:
      wire.nested === null
        ? { backendOptions: {} }
        : { backend: wire.nested.backend, nJobs: wire.nested.nJobs, backendOptions: {} },
    nestingLevel: wire.nested?.level ?? 0,
    depth: wire.depth,
  };
}

/** Runs a batch in a worker and answers in the wire format. Never throws for a task's error. */
export async function runBatch(wire: WireBatch, options: RunBatchOptions = {}): Promise<WireResult> {
  const started = performance.now();
  let fns: Function[];
  try {
    fns = (await Promise.all(wire.fns.map((fn) => resolveFunction(fn, options)))).map(callable);
  } catch (error) {
    return { values: [], error: { pos: 0, error: serializeError(error) } };
  }
  // checked after the imports above: a task module may be what installs the hook in this worker
  const hook = wire.traceparent === undefined ? undefined : currentInstrumentation()?.runWorkerBatch;
  let result = await (hook ? hook(wire, () => runTasks(wire, fns, options)) : runTasks(wire, fns, options));
  if (workerResultHook !== undefined && result.error === undefined && result.errors === undefined)
    result = await rewriteResult(wire, result, workerResultHook);
  return { ...result, runMs: performance.now() - started };
}

async function rewriteResult(
  wire: WireBatch,
  result: WireResult,
  rewrite: NonNullable<typeof workerResultHook>,
): Promise<WireResult> {
  if (!Array.isArray(result.values)) return result;
  const rewritten = rewrite(wire, result.values);
  if (rewritten === undefined) return result;
  try {
    return { values: await rewritten };
  } catch (thrown) {
    const error = serializeError(thrown);
    return wire.settle
      ? { values: [undefined], errors: [[0, error]] }
      : { values: [], error: { pos: 0, error } };
  }
}

function runTasks(wire: WireBatch, fns: Function[], options: RunBatchOptions): Promise<WireResult> {
  const size = wire.size;
  return runInScope(scopeOf(wire), async () => {
    const errors: Array<readonly [number, ReturnType<typeof serializeError>]> = [];
    const { onTaskStart, mapArgs } = options;
    let args = wire.args;
    try {
      if (mapArgs) args = mapWireArgs(args, mapArgs);
      // read now, after the task modules loaded: one of them may be what installed it
      if (workerArgsHook) args = mapWireArgs(args, workerArgsHook);
    } catch (error) {
      return { values: [], error: { pos: 0, error: serializeError(error) } };
    }
    const table = TaskTable.fromLayout(fns, wire.fnOf, size, args, wire.columnar);
    const run = new TableRun(table, onTaskStart);
    for (;;) {
      // every task that returns a plain value runs inside advance(); we stop here only for a
      // task that returned a promise or threw
      run.advance();
      const pos = run.pos;
      if (pos >= size) break;
      try {
        run.values.set(pos, await run.takeOutcome());
      } catch (thrown) {
        const error = serializeError(
          explainClosure(thrown, wire.fns[wire.fnOf === null ? 0 : wire.fnOf[pos]!]!),
        );
        if (!wire.settle) return { values: run.values.before(pos), error: { pos, error } };
        errors.push([pos, error]);
      }
      run.pos = pos + 1;
    }
    return errors.length > 0 ? { values: run.values.array(), errors } : { values: run.values.packed() };
  });
}

/**
 * After sending a result failed (DataCloneError): the same result with each task whose value
 * cannot be cloned turned into a SerializationError naming the path (`result.cb`). Not settled:
 * the first such task fails the batch, as if it had thrown.
 */
export function explainUnsendableResult(wire: WireBatch, result: WireResult, cause?: unknown): WireResult {
  const values = [...result.values];
  const errors = [...(result.errors ?? [])];
  for (let pos = 0; pos < values.length; pos++) {
    const found = findUncloneable(values[pos], 'result');
    if (!found) continue;
    const index = wire.first + pos;
    const error = serializeError(
      new SerializationError(messages.serialize.result(index, found.path, found.what), {
        taskIndex: index,
        path: found.path,
        phase: 'result',
        cause,
      }),
    );
    if (!wire.settle) return { values: values.slice(0, pos), error: { pos, error } };
    values[pos] = undefined;
    errors.push([pos, error]);
  }
  return errors.length > 0 ? { values, errors } : result;
}
