/** Every user-facing message of the client. */
const show = (value: unknown): string => {
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'string') return JSON.stringify(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
};

export const messages = {
  closed: () => 'this client is closed: connect() again to submit work',
  notRef: (value: unknown) => `expected an ObjectRef (what .remote() or put() returned), got ${show(value)}`,
  notRefList: (value: unknown) => `wait(refs): refs must be an array of ObjectRefs, got ${show(value)}`,
  duplicateRef: (id: string) =>
    `wait(refs): the same ObjectRef (${id}) appears twice in refs; pass each ref once (Ray raises too)`,
  numReturns: (numReturns: unknown, length: number) =>
    `wait(refs, { numReturns: ${show(numReturns)} }): numReturns must be an integer from 1 to refs.length (${length})`,
  badTimeout: (where: string, timeout: unknown) =>
    `${where}({ timeout: ${show(timeout)} }): timeout must be a number of milliseconds >= 0`,
  getTimeout: (ms: number, pending: number) =>
    `get() timed out after ${ms} ms with ${pending} ref(s) still pending; raise timeout or wait() for them`,
  cancelled: (id: string) => `task ${id} was cancelled (cancel(ref)); get() of its ref fails with this error`,
  notRemotable: (value: unknown) =>
    `remote(fn): fn must be a function (a task() from a task module, or a self-contained function), got ${show(value)}`,
  badOption: (name: string, value: unknown, expected: string) =>
    `.options({ ${name}: ${show(value)} }): ${name} must be ${expected}`,
  unknownOption: (name: string, known: readonly string[]) =>
    `.options(): unknown option '${name}' (known: ${known.join(', ')})`,
  infeasible: (needs: string, has: string) =>
    `no worker of this cluster can ever run the task: it needs ${needs}, the cluster declares ${has}; lower numCpus/resources, or connect({ resources }) with more`,
  numReturnsMismatch: (n: number, got: string) =>
    `the task was submitted with numReturns: ${n} but returned ${got}; return an array of ${n} values`,
  notActorClass: (value: unknown) =>
    `actor(Class): Class must be a class registered with actorClass(import.meta.url, Class) in a task module, got ${show(value)}`,
  actorDied: (name: string, why: string) =>
    `actor ${name} is dead (${why}); create a new one with client.actor()`,
  actorMethod: (name: string, method: string) =>
    `actor ${name} has no method '${method}' (call an instance method of the class: handle.${method}.remote(...))`,
  workerDied: (id: string, why: string, attempts: number) =>
    `the worker running task ${id} died (${why}) ${attempts} time(s); maxRetries is exhausted. Raise .options({ maxRetries }) or find why the task kills its worker`,
  unsupported: (feature: string, engine: string) =>
    `${feature} is not supported by the ${engine} engine yet (engine.supports.${feature} is false); use the local engine: connect() without servers`,
  noClient: () =>
    'currentClient(): no client here: call it inside a task run by a client, or after connect() in the driver',
  freed: (id: string) =>
    `object ${id} was freed: no ObjectRef to it was left where it was created; keep the ref alive while tasks need it`,
  badConnect: (name: string, value: unknown, expected: string) =>
    `connect({ ${name}: ${show(value)} }): ${name} must be ${expected}`,
  unsendable: (id: string, path: string, what: string) =>
    `the result of task ${id} cannot be sent to the caller: ${path} is ${what}; return plain data (structured-cloneable)`,
  unsendableArgs: (id: string, path: string, what: string) =>
    `the arguments of task ${id} cannot be sent to a worker: ${path} is ${what}; pass plain data (structured-cloneable) or an ObjectRef`,
  putRef: () =>
    'put(value): value is already an ObjectRef; pass the ref itself to tasks instead of putting it',
  actorHandleOnNats: () =>
    'an actor handle was passed inside a task argument: on the nats engine actors are called from the client that created them (not from other tasks, yet); call the actor here and pass the results, or use the local engine',
  nestedRefLocation: (id: string) =>
    `the ObjectRef ${id} inside this task's argument came without its object's location: it was not sent by a parajob client of this version`,
  nestedRefLost: (id: string, ms: number) =>
    `the ObjectRef ${id} passed inside an argument was never stored by its owner within ${ms} ms (its owner, the client or task that made it, is gone); pass the ref at top level to have it resolved before the task runs`,
  natsWholeAmount: (name: string, amount: number) =>
    `.options(): ${name === 'CPU' ? 'numCpus' : `resources.${name}`} is ${amount}; on the nats engine amounts are whole numbers (workers declare whole units: --concurrency, --resources gpu=1)`,
  natsInfeasible: (needs: string, workers: string) =>
    `no worker of this NATS cluster can run the task: it needs ${needs}, the registered workers declare ${workers}; start a worker with what it needs (parajob worker nats --resources name=N, --concurrency for CPU) or lower .options({ numCpus, resources })`,
  generatorNotStream: () =>
    'this task is not a generator: iterate only refs returned by an async function* task (or numReturns: "streaming")',
  streamDriverGone: (token: string) =>
    `streaming task ${token}: its caller stopped answering for two minutes (the client closed or lost its connection); the generator was stopped with return()`,
  streamWorkerCrashed: (id: string) =>
    `the worker running streaming task ${id} died after the stream had started (items already delivered are not sent twice, so the task is not retried); iterate again to rerun it`,
  streamItemMissing: (name: string) =>
    `a streamed item stored as '${name}' in the object store is gone (deleted with the session of the worker thread that stored it: that thread stopped); iterate again to rerun the task`,
  streamItemLost: (id: string, expected: number, got: number) =>
    `streaming task ${id}: item ${expected} never arrived (item ${got} did): the connection to the NATS server dropped messages; iterate again to rerun the task`,
} as const;
