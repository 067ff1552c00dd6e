/**
 * Errors cross to and from workers in our own format, so they keep class (built-ins), name,
 * message, code, own properties, cause and the worker's stack — structured clone alone loses some.
 */
import {
  BackendUnavailableError,
  CallCancelledError,
  SerializationError,
  TaskTimeoutError,
  WorkerCrashedError,
} from './errors.js';

export interface SerializedError {
  /** Constructor to rebuild with: a built-in or parajob class name, 'Error' otherwise, '#value' for a non-Error throw. */
  readonly ctor: string;
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly props: Record<string, unknown>;
  readonly cause?: SerializedError;
  readonly errors?: SerializedError[];
  /** A thrown non-Error value (throw 'boom'), kept as is when it can be cloned. */
  readonly value?: unknown;
}

const CLASSES: Record<string, new (...args: any[]) => Error> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
  AggregateError,
  WorkerCrashedError,
  TaskTimeoutError,
  SerializationError,
  BackendUnavailableError,
  CallCancelledError,
};

const SKIP = new Set(['name', 'message', 'stack', 'cause', 'errors']);

function cloneable(value: unknown): boolean {
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

export function serializeError(error: unknown, depth = 0): SerializedError {
  if (!(error instanceof Error)) {
    return {
      ctor: '#value',
      name: 'Error',
      message: String(error),
      props: {},
      value: cloneable(error) ? error : String(error),
    };
  }
  let ctor = 'Error';
  for (
    let proto = Object.getPrototypeOf(error);
    proto && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    const name = proto.constructor?.name as string | undefined;
    if (name && Object.hasOwn(CLASSES, name) && CLASSES[name]!.prototype === proto) {
      ctor = name;
      break;
    }
  }
  const props: Record<string, unknown> = {};
  for (const key of Object.keys(error)) {
    if (SKIP.has(key)) continue;
    const value = (error as unknown as Record<string, unknown>)[key];
    props[key] = cloneable(value) ? value : String(value);
  }
  const cause = (error as { cause?: unknown }).cause;
  const errors = (error as { errors?: unknown }).errors;
  return {
    ctor,
    name: error.name,
    message: error.message,
    ...(error.stack === undefined ? {} : { stack: error.stack }),
    props,
    ...(cause !== undefined && depth < 8 ? { cause: serializeError(cause, depth + 1) } : {}),
    ...(Array.isArray(errors) && depth < 8
      ? { errors: errors.map((e) => serializeError(e, depth + 1)) }
      : {}),
  };
}

function define(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, configurable: true, enumerable: false });
}

export function deserializeError(data: SerializedError): unknown {
  if (data.ctor === '#value') return data.value;
  const Ctor = CLASSES[data.ctor] ?? Error;
  // Object.create keeps the class without running constructors that take other arguments
  const error = Object.create(Ctor.prototype) as Error;
  define(error, 'message', data.message);
  if (error.name !== data.name) define(error, 'name', data.name);
  define(error, 'stack', data.stack ?? `${data.name}: ${data.message}`);
  if (data.cause !== undefined) define(error, 'cause', deserializeError(data.cause));
  if (data.errors !== undefined) define(error, 'errors', data.errors.map(deserializeError));
  Object.assign(error, data.props);
  return error;
}
