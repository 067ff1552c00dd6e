/**
 * Error classes the caller gets back from workers. A task's error crosses as data (see
 * serialize-error.ts) with the name of its class; the driver rebuilds it as an instance of that
 * class when it knows the class: registered with `registerErrorClass`, or exported (under its own
 * name) by the module of the task that threw. Otherwise the error keeps its nearest built-in class
 * (Error, TypeError, ...) with name, message, code and properties, as before.
 */
import { messages } from './messages.js';

export type ErrorClass = abstract new (...args: never[]) => Error;

const registered = new Map<string, ErrorClass>();
/** Exports of the driver's task modules, read once each (the module is already loaded: it defined the task). */
const moduleExports = new Map<string, Record<string, unknown> | null>();

/**
 * Makes errors of class `Class` thrown in workers arrive as instances of `Class` (name, message,
 * code, own properties, cause and the worker's stack kept). Needed only for classes that the
 * task's module does not export. Returns the class, so it can wrap a declaration.
 */
export function registerErrorClass<C extends ErrorClass>(Class: C, options: { name?: string } = {}): C {
  if (typeof Class !== 'function' || !(Class.prototype instanceof Error))
    throw new TypeError(messages.errorClass.notErrorClass(Class));
  const name = options.name ?? Class.name;
  if (!name) throw new TypeError(messages.errorClass.noName());
  registered.set(name, Class);
  return Class;
}

/**
 * Starts reading a task module's exports on the driver (called as its tasks are first encoded),
 * so that when one of its tasks fails the lookup is synchronous. The module is the caller's own,
 * already loaded, so this import only reads the cache; one that cannot be imported here (a test
 * runner's transformed module) simply offers no classes.
 */
export function watchTaskModule(url: string): void {
  if (moduleExports.has(url)) return;
  moduleExports.set(url, null);
  import(url).then(
    (exports: Record<string, unknown>) => moduleExports.set(url, exports),
    () => {},
  );
}

/** The class to rebuild an error of class `name` with: a registered one, else an export of `module`. */
export function findErrorClass(name: string, module: string | undefined): ErrorClass | undefined {
  const found = registered.get(name);
  if (found !== undefined) return found;
  const exported = module === undefined ? undefined : moduleExports.get(module)?.[name];
  if (typeof exported === 'function' && exported.prototype instanceof Error) return exported as ErrorClass;
  return undefined;
}
