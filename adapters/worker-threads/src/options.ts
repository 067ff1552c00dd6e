/** Options of `new WorkerThreadsBackend(options)`, validated up front with messages naming the option. */
import type { ResourceLimits } from 'node:worker_threads';
import { MIN_STACK_SIZE_MB, messages, RESOURCE_LIMIT_KEYS } from './messages.js';

export interface WorkerThreadsOptions {
  /** Heap and stack limits of each worker thread (node:worker_threads `resourceLimits`); a task over them fails with WorkerCrashedError (OUT_OF_MEMORY). */
  resourceLimits?: ResourceLimits;
  /** How long an idle worker thread is kept for the next call before it exits; default 30 000 ms. Idle workers never keep the process alive. */
  idleTimeoutMs?: number;
}

export interface ResolvedOptions {
  readonly resourceLimits: ResourceLimits | null;
  readonly idleTimeoutMs: number;
}

export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

const KNOWN = ['resourceLimits', 'idleTimeoutMs'] as const;

function closest(key: string): string | undefined {
  const lower = key.toLowerCase();
  return KNOWN.find((k) => k.toLowerCase() === lower || k.toLowerCase().startsWith(lower.slice(0, 4)));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function resolveResourceLimits(value: unknown): ResourceLimits | null {
  if (value === undefined || value === null) return null;
  if (!isPlainObject(value)) throw new TypeError(messages.options.resourceLimits(value));
  const limits: Record<string, number> = {};
  for (const [key, v] of Object.entries(value)) {
    if (!(RESOURCE_LIMIT_KEYS as readonly string[]).includes(key))
      throw new TypeError(messages.options.resourceLimitKey(key));
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
      throw new RangeError(messages.options.resourceLimitValue(key, v));
    if (key === 'stackSizeMb' && v < MIN_STACK_SIZE_MB)
      throw new RangeError(messages.options.stackTooSmall(v));
    limits[key] = v;
  }
  return Object.keys(limits).length > 0 ? limits : null;
}

export function resolveOptions(options: unknown): ResolvedOptions {
  if (options === undefined || options === null) options = {};
  if (!isPlainObject(options)) throw new TypeError(messages.options.notObject(options));
  for (const key of Object.keys(options)) {
    if (!(KNOWN as readonly string[]).includes(key))
      throw new TypeError(messages.options.unknown(key, closest(key)));
  }
  const { idleTimeoutMs = DEFAULT_IDLE_TIMEOUT_MS } = options as WorkerThreadsOptions;
  if (typeof idleTimeoutMs !== 'number' || Number.isNaN(idleTimeoutMs) || idleTimeoutMs < 0) {
    throw new RangeError(messages.options.idleTimeoutMs(idleTimeoutMs));
  }
  return { resourceLimits: resolveResourceLimits(options.resourceLimits), idleTimeoutMs };
}
