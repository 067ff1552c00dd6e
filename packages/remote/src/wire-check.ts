/**
 * Worker side: a decoded payload is only a WireBatch once its shape is checked. Remote batches
 * come from the network; a value of the wrong shape (another version, a hand-made message,
 * lengths that do not match) must become a clear failure of that batch, never an exception in
 * the pool's threads or a wedged slot.
 */
import type { WireBatch } from '@parajob/core/backend';
import { messages } from './messages.js';

/** Largest batch a worker accepts, in tasks: far above what any driver's auto-batching sends. */
export const MAX_TASKS = 10_000_000;
const MAX_FNS = 4096;

const isIndex = (v: unknown, max: number) =>
  Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= max;

const isArrayLike = (v: unknown): v is ArrayLike<unknown> =>
  Array.isArray(v) || v instanceof Float64Array || v instanceof Int32Array;

/** Why `value` is not a WireBatch v1, or undefined when it is one. */
function problem(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object')
    return `a ${value === null ? 'null' : typeof value}, not a batch`;
  const w = value as Record<string, unknown>;
  if (w.v !== 1) return `wire version ${JSON.stringify(w.v) ?? 'missing'}, this worker reads version 1`;
  if (typeof w.call !== 'string' || w.call.length > 256) return 'no call id';
  if (!isIndex(w.first, Number.MAX_SAFE_INTEGER)) return 'bad first task index';
  if (!isIndex(w.size, MAX_TASKS) || w.size === 0) return `bad task count (at most ${MAX_TASKS})`;
  const size = w.size as number;
  if (!Array.isArray(w.fns) || w.fns.length === 0 || w.fns.length > MAX_FNS) return 'bad function list';
  for (const fn of w.fns as unknown[]) {
    const f = fn as Record<string, unknown> | null;
    if (f === null || typeof f !== 'object' || typeof f.name !== 'string') return 'a function without a name';
    if ((typeof f.module === 'string') === (typeof f.source === 'string'))
      return `function '${f.name}' must have a module or a source`;
  }
  const fns = w.fns.length;
  if (w.fnOf !== null) {
    if (!Array.isArray(w.fnOf) || w.fnOf.length !== size) return 'bad function layout';
    if (!(w.fnOf as unknown[]).every((i) => isIndex(i, fns - 1))) return 'bad function layout';
  }
  if (typeof w.columnar !== 'boolean' || typeof w.settle !== 'boolean') return 'bad flags';
  if (!isIndex(w.depth, 1024)) return 'bad depth';
  if (w.nested !== null) {
    const n = w.nested as Record<string, unknown> | undefined;
    if (n === undefined || typeof n !== 'object' || typeof n.backend !== 'string' || !isIndex(n.level, 1024))
      return 'bad nested settings';
    if (n.nJobs !== null && typeof n.nJobs !== 'number') return 'bad nested settings';
  }
  if (!Array.isArray(w.args)) return 'no arguments';
  const args = w.args as unknown[];
  if (w.columnar) {
    if (!args.every((column) => isArrayLike(column) && column.length === size)) return 'bad argument columns';
  } else if (args.length !== size || !args.every(isArrayLike)) return 'bad argument rows';
  return undefined;
}

/** The value as a WireBatch, or an Error saying what is wrong with it. */
export function checkWire(value: unknown): WireBatch | Error {
  const why = problem(value);
  return why === undefined ? (value as WireBatch) : new Error(messages.batch.notWire(why));
}
