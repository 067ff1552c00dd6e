/** Every user-facing message of @parajob/core, in one place so wording stays consistent. */

export const PACKAGE_OF_BACKEND: Readonly<Record<string, string>> = {
  sequential: '@parajob/core',
  'worker-threads': '@parajob/worker-threads (or `parajob`)',
  'child-process': '@parajob/child-process (or `parajob`)',
  threads: '@parajob/threads (or `parajob`)',
  nats: '@parajob/nats',
  grpc: '@parajob/grpc',
};

const list = (names: readonly string[]) => (names.length ? names.map((n) => `'${n}'`).join(', ') : '(none)');

export const messages = {
  option: {
    unknown: (name: string, hint: string | undefined) =>
      `options.${name} is not an option of Parallel${hint ? `; did you mean '${hint}'?` : ''}. ` +
      'Backend-specific options go to parallelConfig({ backend, ...options }) or to the backend constructor.',
    notObject: (what: string) => `${what} must be an object, got ${describe(undefined)}`,
    nJobsType: (v: unknown) =>
      `options.nJobs must be an integer (-1 for all CPUs, -2 for all but one, N for N workers) or null, got ${describe(v)}`,
    nJobsZero: () =>
      'options.nJobs == 0 has no meaning: use -1 for all CPUs, -2 for all but one, or a positive number of workers',
    nJobsInteger: (v: unknown) =>
      `options.nJobs must be an integer (-1 for all CPUs, -2 for all but one, N for N workers), got ${describe(v)}`,
    backendType: (v: unknown) =>
      `options.backend must be a registered backend name (see listBackends()) or a ParallelBackend instance, got ${describe(v)}`,
    backendIncomplete: (name: string, missing: readonly string[]) =>
      `options.backend: backend '${name}' does not implement the backend protocol (missing ${missing.map((m) => `${m}()`).join(', ')}); ` +
      "extend BackendBase from '@parajob/core/backend', which supplies the defaults (see docs/writing-a-backend.md)",
    prefer: (v: unknown) => `options.prefer must be 'processes', 'threads' or null, got ${describe(v)}`,
    require: (v: unknown) => `options.require must be 'sharedmem' or null, got ${describe(v)}`,
    preferRequire: () =>
      "options.prefer 'processes' and options.require 'sharedmem' are inconsistent: shared memory needs an in-process backend",
    verbose: (v: unknown) =>
      `options.verbose must be a non-negative integer (0 is silent, 10 reports every batch, 50+ goes to stdout), got ${describe(v)}`,
    boolean: (name: string, v: unknown) => `options.${name} must be true or false, got ${describe(v)}`,
    fn: (name: string, v: unknown) => `options.${name} must be a function, got ${describe(v)}`,
    timeout: (v: unknown) =>
      `options.timeout must be a positive number of milliseconds or null, got ${describe(v)}`,
    preDispatch: (v: unknown, why: string) =>
      `options.preDispatch must be a positive integer, 'all', or an arithmetic expression of nJobs such as '2 * nJobs' (${why}), got ${describe(v)}`,
    batchSize: (v: unknown) => `options.batchSize must be 'auto' or a positive integer, got ${describe(v)}`,
    maxNbytes: (v: unknown) =>
      `options.maxNbytes must be a non-negative integer number of bytes, a size such as '500K', '1M' or '2G', or null to disable sharing, got ${describe(v)}`,
    tempFolder: (v: unknown) =>
      `options.tempFolder must be a directory path (string) or null, got ${describe(v)}`,
    innerMaxNumThreads: (v: unknown) =>
      `innerMaxNumThreads must be a positive integer or null, got ${describe(v)}`,
    signal: (v: unknown) => `options.signal must be an AbortSignal, got ${describe(v)}`,
    backendOptionsWithoutBackend: (keys: string[]) =>
      `parallelConfig got backend options (${keys.join(', ')}) but no backend: name the backend they are for, e.g. parallelConfig({ backend: 'nats', ${keys[0]}: ... }, body)`,
    backendOptionsWithInstance: (keys: string[]) =>
      `parallelConfig got backend options (${keys.join(', ')}) with a backend instance: pass them to the backend's constructor instead, or name the backend with a string`,
    innerThreadsUnsupported: (backend: string) =>
      `backend '${backend}' does not accept innerMaxNumThreads: it only applies to process backends (child-process)`,
    sharedMemExplicit: (backend: string) =>
      `backend '${backend}' does not share memory with the caller, but require: 'sharedmem' was given: use backend 'threads' or 'sequential', or drop require`,
  },
  expression: {
    tooLong: (max: number) => `longer than ${max} characters`,
    badToken: (ch: string, at: number) => `unexpected '${ch}' at position ${at + 1}`,
    unexpectedEnd: () => 'the expression ends too early',
    trailing: (at: number) => `unexpected input at position ${at + 1}`,
    magnitude: (max: number) => `a value exceeds ${max} in magnitude`,
    divisionByZero: () => 'division by zero',
    notPositive: (value: number) => `it evaluates to ${value}, and at least 1 task must be dispatched`,
  },
  shared: {
    notTypedArrayKind: (v: unknown) =>
      `sharedArray(Kind, length): Kind must be a typed array constructor such as Float64Array, got ${describe(v)}`,
    badLength: (v: unknown) =>
      `sharedArray(Kind, length): length must be a non-negative integer, got ${describe(v)}`,
    notTypedArray: (v: unknown) =>
      `toShared(array) needs a typed array such as a Float64Array, got ${describe(v)}`,
  },
  delayed: {
    notFunction: (v: unknown) => `delayed(fn) needs a function, got ${describe(v)}`,
    notDelayed: (index: number, v: unknown) =>
      `task ${index} is not a delayed call: build tasks with delayed(fn)(...args), got ${describe(v)}`,
  },
  task: {
    badModule: (v: unknown) =>
      `task(moduleUrl, fn): moduleUrl must be import.meta.url (a file: URL) or an absolute path such as __filename, got ${describe(v)}`,
    badFn: (v: unknown) => `task(moduleUrl, fn): fn must be a function, got ${describe(v)}`,
    noName: () =>
      'task(moduleUrl, fn): fn has no name; pass one with task(import.meta.url, fn, { name: "myTask" })',
    entryScript: (name: string, file: string) =>
      `task '${name}' is defined in the program's entry script (${file}). Workers import the module that defines a task, ` +
      'which would run your program again inside every worker. Move the task into its own module ' +
      '(for example tasks.ts next to it) and import it from your program.',
    bundled: (name: string, file: string) =>
      `task '${name}' is defined in the program's entry script (${file}), which is a bundle: the bundler merged the ` +
      "task's module into it, so workers importing that module would run your whole program again. " +
      'Build each task module as its own entry point (esbuild: entryPoints [main, tasks], splitting: true, ' +
      "format: 'esm', keepNames: true, parajob packages external): " +
      'https://github.com/parajob/parajob/blob/main/docs/bundling.md',
    duplicate: (ref: string) =>
      `task '${ref}' is defined twice with different functions; give one of them another name with { name }`,
    parallelWhileImporting: (moduleUrl: string) =>
      `a Parallel call was started while a worker was importing the task module ${moduleUrl}. ` +
      'That module runs work at import time, so every worker would recompute your whole program. ' +
      'Keep tasks in a module without top-level side effects, and start the Parallel call from your entry script.',
  },
  ship: {
    native: (name: string) =>
      `function '${name}' is native code and cannot be shipped to a worker as source: wrap it, e.g. delayed((x) => Math.sqrt(x)), or use task()`,
    bound: (name: string) =>
      `function '${name}' is a bound function and cannot be shipped as source: pass the bound values as arguments, or use task()`,
    unparsable: (name: string, reason: string) =>
      `function '${name}' could not be compiled from its source in the worker (${reason}); define it with task(import.meta.url, fn) in its own module`,
    noTypeScriptLoader: (url: string) =>
      `task module ${url} is TypeScript, and this worker has no TypeScript loader: install tsx (npm install --save-dev tsx) ` +
      'and run with node --import tsx (or NODE_OPTIONS="--import tsx"), or compile the module to JavaScript',
    closure: (fnName: string, variable: string) =>
      `function '${fnName}' uses '${variable}', a variable of its enclosing scope that a worker cannot see: ` +
      `functions shipped as source must be self-contained. Pass '${variable}' as an argument, or define the function ` +
      'with task(import.meta.url, fn) in its own module so workers import it with its imports.',
    moduleWithoutTask: (moduleUrl: string, name: string) =>
      `the module ${moduleUrl} was imported in the worker but registers no task named '${name}' (a plain export is never called by name); ` +
      'define it with task(import.meta.url, fn) in that module',
  },
  serialize: {
    argument: (taskIndex: number, path: string, what: string) =>
      `task ${taskIndex}: ${path} is ${what}, which cannot be sent to a worker (structured clone). ` +
      'Pass plain data (objects, arrays, typed arrays, Map, Set, Date...) and rebuild behaviour inside the task, or use an in-process backend (threads).',
    result: (taskIndex: number, path: string, what: string) =>
      `task ${taskIndex} returned a value whose ${path} is ${what}, which cannot be sent back from the worker (structured clone). Return plain data.`,
  },
  registry: {
    incompatible: (here: string, version: number, other: string, otherVersion: unknown) =>
      `two incompatible copies of @parajob/core are loaded in this process: ${here} (backend registry version ${version}) ` +
      `and ${other} (version ${String(otherVersion)}), so backends registered through one cannot run calls of the other. ` +
      'Install versions of parajob and its @parajob/* packages that use one @parajob/core: `npm ls @parajob/core` shows the copies, `npm dedupe` merges compatible ones.',
  },
  backend: {
    unknown: (name: string, registered: readonly string[]) => {
      const pkg = PACKAGE_OF_BACKEND[name];
      return (
        `backend '${name}' is not registered. Registered backends: ${list(registered)}. ` +
        (pkg
          ? `Install ${pkg} and import its register entry (or import 'parajob', which registers the local backends).`
          : 'Register it first with registerBackend(name, factory).')
      );
    },
    zeroWorkers: (name: string) =>
      `backend '${name}' has no active worker (configure() returned 0): start workers or choose another backend`,
    nestedTooDeep: (depth: number, max: number) =>
      `Parallel calls are nested ${depth} deep (the limit is ${max}): a task that starts a Parallel call which starts another... ` +
      'without end would exhaust the machine. Check for unbounded recursion in your tasks.',
    timeoutUnsupported: (name: string, timeout: number) =>
      `The backend '${name}' does not support timeout. You have set 'timeout: ${timeout}' in Parallel but it will not be used.`,
  },
  stray: {
    ignored: (origin: string) =>
      `parajob: an error was thrown after its task had returned (a timer or an unawaited promise of ${origin}); ` +
      'it does not belong to the call this worker runs now, so it was ignored. Await or clear what your tasks start:',
  },
  errorClass: {
    notErrorClass: (v: unknown) =>
      `registerErrorClass(Class) needs a class that extends Error, got ${describe(v)}`,
    noName: () =>
      'registerErrorClass(Class): the class has no name; pass one, e.g. registerErrorClass(Class, { name: "MyError" })',
  },
  call: {
    alreadyRunning: () =>
      'This Parallel instance is already running a call. Await it (or finish or return() its iterator) before starting another, ' +
      'or use a second Parallel instance: instances share their workers.',
    closed: () => 'This Parallel instance was closed; create a new one',
    cancelled: () => 'the call was cancelled before this task finished',
    timedOut: (taskIndex: number, timeout: number) =>
      `task ${taskIndex} ran longer than the timeout of ${timeout} ms and was stopped; raise options.timeout or split the task`,
    aborted: () => 'the call was aborted',
    closedDuringCall: () =>
      'close() was called on this Parallel instance while the call was running: the call was stopped before all its tasks finished',
    lostCompleted: (backend: string, taskIndex: number) =>
      `backend '${backend}' rejected a batch for task ${taskIndex} without a BatchFailure: the results of that batch's tasks before it cannot be delivered. ` +
      'Backend authors: reject with new BatchFailure(error, completedValues), or pass it as the cause of your own error.',
  },
  crash: {
    worker: (reason: string, taskIndex: number | undefined, backend: string) =>
      `a ${backend} worker died (${reason})` +
      (taskIndex === undefined ? ' between tasks' : ` while running task ${taskIndex}`) +
      '. It may have run out of memory, called process.exit(), crashed in native code, or been killed from outside. ' +
      'The pool replaces the worker; the next call works.',
  },
} as const;

/** A short, safe description of a value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'function':
      return `function ${value.name || '(anonymous)'}`;
    case 'symbol':
      return value.toString();
    default: {
      const ctor = (value as object).constructor?.name;
      return Array.isArray(value) ? 'an array' : ctor && ctor !== 'Object' ? `a ${ctor}` : 'an object';
    }
  }
}

/** The closest known name, for "did you mean" hints. */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  const lower = name.toLowerCase().replace(/[_-]/g, '');
  return (
    candidates.find((c) => c.toLowerCase() === lower) ??
    candidates.find((c) => c.toLowerCase().startsWith(lower.slice(0, 4)))
  );
}
