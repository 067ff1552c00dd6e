/**
 * The wire format: what an out-of-process backend sends to its workers (`encodeBatch`) and how it
 * turns their answer back into results (`decodeResult`). Everything here is structured-cloneable.
 */
import { type TaskBatch, TaskFailure } from './batch.js';
import { findUncloneable } from './clone-check.js';
import { watchTaskModule } from './error-classes.js';
import { BatchFailure, SerializationError, withTaskIndex } from './errors.js';
import { messages } from './messages.js';
import { deserializeError, type SerializedError } from './serialize-error.js';
import { taskRefOf } from './task.js';
import type { NumberColumn } from './task-table.js';

/** A function reference: a task module (imported by the worker) or self-contained source. */
export interface WireFunction {
  readonly name: string;
  /** file: URL (or, for remote workers, a project-relative or package specifier) of the module that registers it. */
  readonly module?: string;
  /** Source of a function shipped by value (`fn.toString()`, normalised to an expression). */
  readonly source?: string;
}

export interface WireNested {
  /** Registered backend name for nested calls inside the tasks ('sequential' for every pool backend). */
  readonly backend: string;
  readonly nJobs: number | null;
  readonly level: number;
}

/** A task's argument list (rows) or one argument of every task (columns; numbers packed, see NumberColumn). */
export type WireArgs = readonly unknown[] | NumberColumn;

export interface WireBatch {
  readonly v: 1;
  readonly call: string;
  readonly first: number;
  readonly fns: readonly WireFunction[];
  /** Which entry of `fns` each task calls; null when every task calls fns[0] (the usual case). */
  readonly fnOf: readonly number[] | null;
  /** Number of tasks. */
  readonly size: number;
  /**
   * Rows (`args[i]`: the arguments of task i), or, when `columnar`, columns (`args[k]`: argument k
   * of every task). Columns are used whenever the tasks take the same number of arguments (up to
   * 8); a column of numbers is an Int32Array or a Float64Array, so a batch of `square(i)` crosses as one copy of
   * memory instead of one small array per task, which is most of the cost of cloning small tasks.
   * Walk it generically (every element is an array-like of argument values either way), or read
   * rows with `wireTaskArgs`.
   */
  readonly args: readonly WireArgs[];
  readonly columnar: boolean;
  readonly nested: WireNested | null;
  readonly depth: number;
  readonly settle: boolean;
  /** W3C `traceparent` of the caller's batch span, present only when the caller traces (docs/observability.md). */
  readonly traceparent?: string;
}

export interface WireResult {
  /**
   * One value per task that succeeded (holes where a task failed); a Float64Array when every value
   * is a number (decodeResult turns it back into an array).
   */
  readonly values: unknown[];
  /** The first failure (not settled): values holds the tasks before it. */
  readonly error?: { readonly pos: number; readonly error: SerializedError };
  /** Every failure (settled batches). */
  readonly errors?: ReadonlyArray<readonly [number, SerializedError]>;
  /**
   * How long the worker ran the batch (ms, its own clock: from resolving its functions to its
   * answer). The driver's submit-to-result time minus this is the batch's queue wait and transport.
   */
  readonly runMs?: number;
}

const encoded = new WeakMap<Function, WireFunction | Error>();

/** Turns `(x) => x * 2`, `async function f() {}` or a method shorthand `f(x) {}` into an expression source. */
export function expressionSource(source: string): string {
  const s = source.trim();
  if (/^(async\s+)?function\b/.test(s) || /^class\b/.test(s)) return s;
  if (/^(async\s*)?(\(|[A-Za-z_$][\w$]*\s*=>)/.test(s)) return s;
  const method = /^(async\s+)?(\*\s*)?([A-Za-z_$][\w$]*)\s*\(/.exec(s);
  if (method)
    return `${method[1] ?? ''}function${method[2] ? '*' : ''} ${method[3]}${s.slice(method[0].length - 1)}`;
  return s;
}

/** Encodes one task function (cached per function): its task() reference, or its source. */
export function encodeFunction(fn: Function): WireFunction {
  let wire = encoded.get(fn);
  if (wire === undefined) {
    const ref = taskRefOf(fn);
    const name = fn.name || 'anonymous';
    if (ref) {
      wire = { name: ref.name, module: ref.module };
      // so a failing task's error class can be found among its module's exports (error-classes.ts)
      watchTaskModule(ref.module);
    } else {
      const source = Function.prototype.toString.call(fn);
      if (name.startsWith('bound '))
        wire = new SerializationError(messages.ship.bound(name), { path: 'fn', phase: 'function' });
      else if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) {
        wire = new SerializationError(messages.ship.native(name), { path: 'fn', phase: 'function' });
      } else wire = { name, source: expressionSource(source) };
    }
    encoded.set(fn, wire);
  }
  if (wire instanceof Error) throw wire;
  return wire;
}

export function encodeBatch(batch: TaskBatch): WireBatch {
  // the table already holds the wire layout: only the functions need encoding
  const table = batch.table;
  const fns = new Array<WireFunction>(table.fns.length);
  for (let f = 0; f < fns.length; f++) {
    try {
      fns[f] = encodeFunction(table.fns[f]!);
    } catch (error) {
      throw withTaskIndex(error, batch.firstIndex + (f === 0 ? 0 : table.fnOf!.indexOf(f)));
    }
  }
  const nested = batch.nested;
  table.seal();
  return {
    v: 1,
    call: batch.callId,
    first: batch.firstIndex,
    fns,
    fnOf: table.fnOf,
    size: table.length,
    args: table.columns ?? table.rows!,
    columnar: table.columns !== null,
    nested:
      nested === null
        ? null
        : { backend: nested.backend.name, nJobs: nested.nJobs, level: nested.backend.nestingLevel },
    depth: batch.depth,
    settle: batch.settle,
    ...(batch.traceparent === undefined ? {} : { traceparent: batch.traceparent }),
  };
}

/**
 * Maps every argument list (rows) or argument column of a batch through `map`, e.g. to swap large
 * buffers for references; packed number columns hold no buffers and are passed through.
 */
export function mapWireArgs(
  args: readonly WireArgs[],
  map: (values: readonly unknown[]) => readonly unknown[],
): readonly WireArgs[] {
  return args.map((values) => (Array.isArray(values) ? map(values) : values));
}

/** Each task's argument list, whatever the layout (for adapters that re-create tasks from a wire batch). */
export function wireTaskArgs(wire: WireBatch): (readonly unknown[])[] {
  if (!wire.columnar) return wire.args as (readonly unknown[])[];
  const rows = new Array<unknown[]>(wire.size);
  for (let i = 0; i < wire.size; i++) rows[i] = wire.args.map((column) => column[i]!);
  return rows;
}

/**
 * Results of a batch from a worker's answer; throws a BatchFailure holding the first task error and
 * the values of the tasks before it (not settled). Results
 * that were all numbers stay the Float64Array they crossed as: the call copies them into its
 * result array once, instead of building an array per batch.
 */
export function decodeResult(batch: TaskBatch, result: WireResult): ArrayLike<unknown> {
  // a remote worker's word: only a plausible duration is kept
  const runMs: unknown = result.runMs;
  batch.runMs =
    typeof runMs === 'number' && runMs >= 0 && runMs < Number.POSITIVE_INFINITY ? runMs : undefined;
  if (result.error !== undefined) {
    const { pos } = result.error;
    const error = withTaskIndex(
      deserializeError(result.error.error, moduleOf(batch, pos)),
      batch.firstIndex + pos,
    );
    throw new BatchFailure(error, result.values);
  }
  const values = result.values;
  if (result.errors !== undefined) {
    for (const [pos, error] of result.errors) {
      values[pos] = new TaskFailure(
        withTaskIndex(deserializeError(error, moduleOf(batch, pos)), batch.firstIndex + pos),
      );
    }
  }
  return values;
}

/** The driver's URL of the module of task `pos`'s function, when it is a task() (for its error classes). */
function moduleOf(batch: TaskBatch, pos: number): string | undefined {
  const table = batch.table;
  if (pos < 0 || pos >= table.length) return undefined;
  const fn = table.fns[table.fnOf === null ? 0 : table.fnOf[pos]!];
  return fn === undefined ? undefined : taskRefOf(fn)?.module;
}

/**
 * After a send failed with a DataCloneError: the SerializationError naming the task and the path
 * of the first argument that cannot be cloned (e.g. `args[1].cb`).
 */
export function explainUnsendableBatch(batch: TaskBatch, cause?: unknown): SerializationError {
  for (let pos = 0; pos < batch.tasks.length; pos++) {
    const found = findUncloneable(batch.tasks[pos]!.args, 'args');
    if (found) {
      const index = batch.firstIndex + pos;
      return new SerializationError(messages.serialize.argument(index, found.path, found.what), {
        taskIndex: index,
        path: found.path,
        phase: 'arguments',
        cause,
      });
    }
  }
  const index = batch.firstIndex;
  return new SerializationError(messages.serialize.argument(index, 'args', 'a value'), {
    taskIndex: index,
    path: 'args',
    phase: 'arguments',
    cause,
  });
}
