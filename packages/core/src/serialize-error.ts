/**
 * Errors cross to and from workers in our own format, so they keep class (built-ins), name,
 * message, code, own properties, cause and the worker's stack — structured clone alone loses some.
 */

import { findErrorClass } from './error-classes.js';
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
  /** The error's own class when it is not built in (`MyError`): the driver rebuilds it when it knows the class. */
  readonly cls?: string;
}

/** On an error rebuilt without its class (unknown here): the class's name, so relaying it keeps the name. */
const CLASS_NAME = Symbol('parajob.errorClass');

/** The name of the error's own class when that class is not one `ctor` can name. */
function ownClassName(error: Error, ctor: string): string | undefined {
  const carried = (error as { [CLASS_NAME]?: unknown })[CLASS_NAME];
  if (typeof carried === 'string') return carried;
  const name = (Object.getPrototypeOf(error) as { constructor?: { name?: unknown } } | null)?.constructor
    ?.name;
  return typeof name === 'string' && name !== '' && name !== ctor ? name : undefined;
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

/** A property of an error, or a note saying reading it threw (a getter, a proxy trap): errors must always cross. */
function read(error: object, key: string): unknown {
  try {
    return (error as Record<string, unknown>)[key];
  } catch (thrown) {
    return `[reading ${key} threw: ${thrown instanceof Error ? thrown.message : String(thrown)}]`;
  }
}

function ownKeys(error: object): string[] {
  try {
    return Object.keys(error);
  } catch {
    return [];
  }
}

function describeUncloneable(value: unknown): string {
  try {
    return String(value);
  } catch {
    return `[${typeof value}]`;
  }
}

export function serializeError(error: unknown, depth = 0): SerializedError {
  if (!(error instanceof Error)) {
    return {
      ctor: '#value',
      name: 'Error',
      message: describeUncloneable(error),
      props: {},
      value: cloneable(error) ? error : describeUncloneable(error),
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
  for (const key of ownKeys(error)) {
    if (SKIP.has(key)) continue;
    const value = read(error, key);
    props[key] = cloneable(value) ? value : describeUncloneable(value);
  }
  const cause = read(error, 'cause');
  const errors = read(error, 'errors');
  const cls = ownClassName(error, ctor);
  const stack = read(error, 'stack');
  return {
    ctor,
    ...(cls === undefined ? {} : { cls }),
    name: describeUncloneable(read(error, 'name')),
    message: describeUncloneable(read(error, 'message')),
    ...(stack === undefined ? {} : { stack: describeUncloneable(stack) }),
    props,
    ...(cause !== undefined && depth < 8 ? { cause: serializeError(cause, depth + 1) } : {}),
    ...(Array.isArray(errors) && depth < 8
      ? { errors: errors.map((e) => serializeError(e, depth + 1)) }
      : {}),
  };
}

function define(target: object, key: string | symbol, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, configurable: true, enumerable: false });
}

/**
 * Rebuilds an error. `module` is the driver's URL of the module of the task that threw: a class it
 * exports (or one registered with registerErrorClass) under the error's class name is used.
 */
export function deserializeError(data: SerializedError, module?: string): unknown {
  if (data.ctor === '#value') return data.value;
  const Own = data.cls === undefined ? undefined : findErrorClass(data.cls, module);
  const Ctor = Own ?? CLASSES[data.ctor] ?? Error;
  // Object.create keeps the class without running constructors that take other arguments
  const error = Object.create(Ctor.prototype) as Error;
  if (Own === undefined && data.cls !== undefined) define(error, CLASS_NAME, data.cls);
  define(error, 'message', data.message);
  if (error.name !== data.name) define(error, 'name', data.name);
  define(error, 'stack', data.stack ?? `${data.name}: ${data.message}`);
  if (data.cause !== undefined) define(error, 'cause', deserializeError(data.cause, module));
  if (data.errors !== undefined)
    define(
      error,
      'errors',
      data.errors.map((e) => deserializeError(e, module)),
    );
  Object.assign(error, data.props);
  return error;
}
