/**
 * Errors keep their class across threads when the task module exports it: the worker names the
 * exported class (module URL and export name) next to the serialized error, and the receiving side
 * imports that module (already loaded where the task was defined) and restores the prototype.
 */
import { deserializeError, type SerializedError, serializeError } from '@parajob/core/backend';

/** An error and, when the task module exports its class, where to find that class. */
export interface WireError {
  readonly error: SerializedError;
  readonly errorClass?: { readonly module: string; readonly name: string };
}

const isBuiltin = (ctor: Function) => (globalThis as Record<string, unknown>)[ctor.name] === ctor;

async function exportedClass(error: Error, module: string): Promise<WireError['errorClass']> {
  let exports: Record<string, unknown>;
  try {
    exports = (await import(module)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  for (
    let proto = Object.getPrototypeOf(error);
    proto && proto !== Error.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    const ctor = proto.constructor as Function | undefined;
    if (typeof ctor !== 'function' || isBuiltin(ctor)) continue;
    for (const [name, value] of Object.entries(exports)) if (value === ctor) return { module, name };
  }
  return undefined;
}

/** Where each restored error's class came from, so it keeps it when sent on to another task. */
const classOf = new WeakMap<object, NonNullable<WireError['errorClass']>>();

/** Serializes a task's error; `module` is the task module (the place to look for its class). */
export async function toWireError(error: unknown, module: string | undefined): Promise<WireError> {
  const serialized = serializeError(error);
  const known = typeof error === 'object' && error !== null ? classOf.get(error) : undefined;
  if (known !== undefined) return { error: serialized, errorClass: known };
  if (module === undefined || !(error instanceof Error)) return { error: serialized };
  const errorClass = await exportedClass(error, module);
  return errorClass === undefined ? { error: serialized } : { error: serialized, errorClass };
}

/** Rebuilds the error, with its exported class when the worker named one. */
export async function fromWireError(wire: WireError): Promise<unknown> {
  const error = deserializeError(wire.error);
  if (wire.errorClass === undefined || typeof error !== 'object' || error === null) return error;
  try {
    const exports = (await import(wire.errorClass.module)) as Record<string, unknown>;
    const Class = exports[wire.errorClass.name];
    if (typeof Class === 'function') {
      Object.setPrototypeOf(error, Class.prototype);
      classOf.set(error, wire.errorClass);
    }
  } catch {
    // the class cannot be loaded here: the error keeps its name, message and properties
  }
  return error;
}
