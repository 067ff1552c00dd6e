/** Every user-facing message of @parajob/nats, in one place so wording stays consistent. */

export const messages = {
  option: {
    resources: (problem: string) =>
      `NATS worker option 'resources' (--resources name=amount,...): ${problem}`,
    servers: (v: unknown) =>
      `NATS option 'servers' must be a URL or an array of URLs such as 'nats://127.0.0.1:4222', got ${typeof v === 'string' ? JSON.stringify(v) : typeof v}`,
    namespace: (v: unknown) =>
      `NATS option 'namespace' must match /^[A-Za-z0-9_-]{1,32}$/ (it becomes part of stream and subject names), got ${JSON.stringify(v)}`,
    authConflict: () => "NATS options: give one of 'token', 'user'/'pass' or 'creds', not several",
    userWithoutPass: () => "NATS options: 'user' needs 'pass' (and 'pass' needs 'user')",
    positive: (name: string, v: unknown) =>
      `NATS option '${name}' must be a positive number, got ${JSON.stringify(v)}`,
    concurrency: (v: unknown, max: number) =>
      `--concurrency must be a positive integer, at most ${max}, got ${JSON.stringify(v)}`,
  },
  connect: {
    authorization: (servers: string, detail: string) =>
      `NATS server ${servers} refused the connection: authorization failed (${detail}). ` +
      "Pass the credentials it expects: { token }, { user, pass }, or { creds: '/path/to/user.creds' } " +
      '(workers: --token, --user/--pass or --creds).',
    tls: (servers: string, detail: string) =>
      `TLS with the NATS server ${servers} failed (${detail}). If its certificate is signed by a private CA, pass that CA: ` +
      "{ tls: { caFile: '/path/to/ca.pem' } } (workers: --tls-ca FILE); if the server verifies clients, also " +
      'certFile and keyFile (--tls-cert, --tls-key).',
    failed: (servers: string, detail: string) =>
      `could not connect to the NATS server ${servers} (${detail}). Is nats-server running there with JetStream enabled (-js)?`,
    noJetStream: (servers: string) =>
      `the NATS server ${servers} has no JetStream: start it with -js (and a store dir, -sd DIR), or enable jetstream in its config`,
  },
  driver: {
    noWorkers: (servers: string, waitedMs: number, namespace: string, ignored: readonly string[] = []) =>
      `no parajob worker is alive on ${servers} (namespace '${namespace}') after waiting ${waitedMs} ms, so nJobs: -1 has no capacity to use` +
      (ignored.length === 0
        ? '. '
        : ` (ignored ${ignored.length} registry entr${ignored.length === 1 ? 'y' : 'ies'} that are not a worker's record: ${ignored
            .slice(0, 5)
            .map((k) => `'${k}'`)
            .join(', ')}${ignored.length > 5 ? ', ...' : ''}). `) +
      `Start workers with: parajob worker nats --servers ${servers}` +
      (namespace === 'default' ? '' : ` --namespace ${namespace}`) +
      ', or pass a positive nJobs to queue batches until workers come.',
    abandoned: (bucket: string, ttlMs: number) =>
      `a worker dropped this batch because this driver looked gone: its session record in the KV bucket ${bucket} ` +
      `was not refreshed for ${ttlMs} ms (an event loop blocked that long, or a lost connection). ` +
      'Keep the driver responsive while calls run (move long synchronous work to a task), then run the call again',
    maxDeliveries: (attempts: number) =>
      `the batch was delivered ${attempts} time(s) and no worker finished it (every attempt ended with the worker process dying or vanishing)`,
    closed: () => 'this NATS backend was terminated; create a new one',
    handedBack: (times: number) =>
      `the batch was handed back ${times} times by workers that were stopping (SIGTERM/SIGINT) before it could finish: ` +
      'workers are being restarted faster than a batch runs. Let workers finish (raise --shutdown-grace) or stop restarting them, then run the call again',
    outage: (what: string, boundMs: number, detail: string) =>
      `the NATS server did not answer for ${boundMs} ms while ${what} (${detail}): it is down, restarting for longer than that, or unreachable. ` +
      'Check that nats-server is running (with -js) and reachable, then run the call again',
  },
  worker: {
    ready: (id: string, slots: number, servers: string, namespace: string, allow: readonly string[]) =>
      `parajob nats worker ${id}: ${slots} slot(s) on ${servers}, namespace '${namespace}', --allow ${allow.join(' ')}`,
    stopped: (id: string) => `parajob nats worker ${id}: stopped`,
    dropped: (what: string) =>
      `dropped a message on the work subject with ${what} (terminated, not redelivered; further ones are dropped without this line). Only parajob drivers should publish there: see the permissions block in docs/security.md`,
    badBody: (reason: string) =>
      `the worker could not read this batch's message body (${reason}); driver and worker must run the same @parajob/nats version`,
    parked: (batch: string, delivery: number) =>
      `batch ${batch} was delivered again (delivery ${delivery}) while a live worker still runs it (its heartbeats were late, e.g. after a nats-server restart): not an attempt, it waits for that run`,
    redelivered: (batch: string, delivery: number, attempt: number, attempts: number) =>
      `batch ${batch} was delivered again (delivery ${delivery}) and no live worker runs it: its worker vanished with it, attempt ${attempt} of ${attempts}`,
    handBack: (batch: string, reason: string) =>
      `batch ${batch} goes back to the queue: the worker could not reach the server for it (${reason})`,
  },
  client: {
    getTimeout: (ms: number, pending: number) =>
      `cluster.get() timed out after ${ms} ms with ${pending} result(s) still pending; the tasks keep running: get() them again, or cancel() them`,
    cancelled: (id: string) => `task ${id} was cancelled with cluster.cancel()`,
    closed: () => 'this cluster connection was closed; connect() again',
    notRef: (v: unknown) =>
      `expected an ObjectRef from cluster.remote(...).remote() or cluster.put(), got ${typeof v}`,
  },
} as const;
