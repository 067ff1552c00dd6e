/**
 * Validation of Parallel options and parallelConfig values, once, up front, with messages that
 * name the option and the accepted values.
 */
import { isParallelBackend, missingBackendMethods, type ParallelBackend } from './backend.js';
import { closest, messages } from './messages.js';

export type Prefer = 'processes' | 'threads';
export type Require = 'sharedmem';

export function validateNJobs(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'number' || Number.isNaN(value)) throw new TypeError(messages.option.nJobsType(value));
  if (!Number.isInteger(value)) throw new RangeError(messages.option.nJobsInteger(value));
  if (value === 0) throw new RangeError(messages.option.nJobsZero());
  return value;
}

export function validateBackend(value: unknown): string | ParallelBackend | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' && value.length > 0) return value;
  if (isParallelBackend(value)) return value;
  // an object with submit() is a backend written for another protocol version: say what it lacks
  if (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { submit?: unknown }).submit === 'function'
  )
    throw new TypeError(
      messages.option.backendIncomplete(
        String((value as { name?: unknown }).name),
        missingBackendMethods(value),
      ),
    );
  throw new TypeError(messages.option.backendType(value));
}

export function validatePrefer(value: unknown): Prefer | null {
  if (value === null || value === undefined) return null;
  if (value === 'processes' || value === 'threads') return value;
  throw new RangeError(messages.option.prefer(value));
}

export function validateRequire(value: unknown): Require | null {
  if (value === null || value === undefined) return null;
  if (value === 'sharedmem') return value;
  throw new RangeError(messages.option.require(value));
}

export function validateVerbose(value: unknown): number {
  if (value === undefined || value === null || value === false) return 0;
  if (value === true) return 1;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
    throw new RangeError(messages.option.verbose(value));
  return value;
}

export function validateTimeout(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw (typeof value === 'number' ? RangeError : TypeError)(messages.option.timeout(value));
  }
  return value;
}

export function validateBatchSize(value: unknown): number | 'auto' {
  if (value === undefined || value === 'auto') return 'auto';
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
  throw (typeof value === 'number' ? RangeError : TypeError)(messages.option.batchSize(value));
}

const UNITS: Record<string, number> = { K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/** '1M' → 1 048 576 (joblib's memstr_to_bytes: K, M, G are powers of 1024). */
export function validateMaxNbytes(value: unknown): number | null {
  if (value === null) return null;
  if (value === undefined) return UNITS.M!;
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0) return value;
    throw new RangeError(messages.option.maxNbytes(value));
  }
  if (typeof value === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([KMG])?B?\s*$/i.exec(value);
    if (m) return Math.floor(Number(m[1]) * (m[2] ? UNITS[m[2].toUpperCase()]! : 1));
    throw new RangeError(messages.option.maxNbytes(value));
  }
  throw new TypeError(messages.option.maxNbytes(value));
}

export function validateTempFolder(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' && value.length > 0) return value;
  throw new TypeError(messages.option.tempFolder(value));
}

export function validateInnerMaxNumThreads(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
  throw new RangeError(messages.option.innerMaxNumThreads(value));
}

export function validateBoolean(name: string, value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value === 'boolean') return value;
  throw new TypeError(messages.option.boolean(name, value));
}

export function validateFunction<F>(name: string, value: unknown): F | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'function') return value as F;
  throw new TypeError(messages.option.fn(name, value));
}

export function validateSignal(value: unknown): AbortSignal | undefined {
  if (value === undefined || value === null) return undefined;
  if (value instanceof AbortSignal) return value;
  throw new TypeError(messages.option.signal(value));
}

export function checkPreferRequire(prefer: Prefer | null, require: Require | null): void {
  if (prefer === 'processes' && require === 'sharedmem')
    throw new RangeError(messages.option.preferRequire());
}

export function rejectUnknownKeys(options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new TypeError(messages.option.unknown(key, closest(key, known)));
  }
}

/** Re-labels an options.X message for parallelConfig, so the error names where the bad value came from. */
export function relabel<E extends Error>(error: E, label: string): E {
  error.message = error.message.replace(/^options\./, `${label}.`);
  return error;
}
