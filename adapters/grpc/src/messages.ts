/** Every user-facing message of @parajob/grpc, in one place so wording stays consistent. */

const fmtBytes = (n: number) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${n} bytes`);

export const messages = {
  option: {
    unknown: (key: string, known: readonly string[]) =>
      `GrpcBackend: options.${key} is not an option; known options: ${known.join(', ')}`,
    notObject: (v: string) => `GrpcBackend(options): options must be an object, got ${v}`,
    workers: (v: string) =>
      `GrpcBackend: options.workers must be a non-empty array of 'host:port' strings (workers started with \`parajob worker grpc --listen HOST:PORT\`), got ${v}`,
    address: (v: string) =>
      `GrpcBackend: options.workers contains ${v}, which is not 'host:port' (e.g. '10.0.0.5:50051')`,
    retries: (v: string) =>
      `GrpcBackend: options.retries must be a non-negative integer (times a lost worker's batch runs again elsewhere), got ${v}`,
    positive: (name: string, v: string) =>
      `GrpcBackend: options.${name} must be a positive integer, got ${v}`,
    tls: (v: string) =>
      `GrpcBackend: options.tls must be true (server-authenticated TLS with the system CAs) or { ca?, cert?, key?, serverName? } (PEM text, Buffer, or file path), got ${v}`,
    certKeyPair: (side: string) =>
      `${side}: a TLS certificate and its key go together: give both cert and key, or neither`,
    readPem: (what: string, path: string, reason: string) =>
      `could not read the TLS ${what} from ${path}: ${reason}`,
    nJobsZero: () =>
      'options.nJobs == 0 has no meaning: use -1 for every slot of every worker, or a positive number of batches at once',
  },
  connect: {
    unreachable: (address: string, reason: string) =>
      `gRPC worker ${address} is unreachable (${reason}); continuing with the other workers. Check that \`parajob worker grpc\` runs there, the address, firewalls, and that TLS settings match on both sides.`,
    allUnreachable: (details: string[]) =>
      `no gRPC worker is reachable:\n${details.map((d) => `  - ${d}`).join('\n')}\n` +
      'Start workers with `parajob worker grpc --listen HOST:PORT` and check the addresses and TLS settings (tls on the driver needs --tls-cert/--tls-key on the worker; --tls-require-client-cert on the worker requires a client certificate).',
    protocol: (address: string, theirs: number, ours: number) =>
      `gRPC worker ${address} speaks protocol ${theirs}, this driver speaks ${ours}: install the same @parajob/grpc version on both`,
    lost: (address: string, reason: string) => `gRPC worker ${address} was lost (${reason})`,
    wrongId: (address: string, id: number) =>
      `gRPC worker ${address} answered batch ${id}, which this driver never sent it (or already had an answer for); the worker is dropped from this backend. Check that it runs the same @parajob/grpc version.`,
    badResult: (address: string, detail: string) =>
      `gRPC worker ${address} sent a result this driver cannot use (${detail}); run the same @parajob/grpc version on both sides`,
    noneLeft: (lost: string[]) =>
      `every gRPC worker of this backend was lost (${lost.join('; ')}); the batch could not run anywhere. Restart the workers and run the call again.`,
  },
  size: {
    batchTooLarge: (first: number, last: number, bytes: number, max: number, address: string) =>
      `tasks ${first}..${last}: their batch is ${fmtBytes(bytes)} once serialized, over the message limit of ${fmtBytes(max)} ` +
      `(worker ${address}). Raise maxMessageBytes on the driver and --max-message-bytes on the worker, use batchSize: 1, or pass smaller arguments.`,
    resultTooLarge: (id: number, bytes: number, max: number) =>
      `the results of batch ${id} are ${fmtBytes(bytes)} once serialized, over this worker's message limit of ${fmtBytes(max)}. ` +
      'Raise --max-message-bytes on the worker and maxMessageBytes on the driver, or return smaller values.',
    rejectedByPeer: (address: string, detail: string) =>
      `gRPC worker ${address} refused a message as too large (${detail}): raise --max-message-bytes on the worker and maxMessageBytes on the driver to the same value`,
  },
  worker: {
    listen: (v: string) => `--listen must be PORT or HOST:PORT (e.g. 50051 or 0.0.0.0:50051), got '${v}'`,
    concurrency: (v: string, max: number) =>
      `--concurrency must be a positive integer, at most ${max}, got '${v}'`,
    maxSessions: (v: string) => `--max-sessions must be a positive integer, got '${v}'`,
    tooManySessions: (max: number) =>
      `this worker already serves ${max} sessions (--max-sessions ${max}); try again when one ends, or start the worker with a higher --max-sessions`,
    maxMessageBytes: (v: string) =>
      `--max-message-bytes must be a positive integer number of bytes, got '${v}'`,
    tlsClientAuth: () =>
      '--tls-ca (the CA client certificates must be signed by) and --tls-require-client-cert (mTLS) go together on a gRPC worker, with --tls-cert and --tls-key',
    duplicateId: (id: number) =>
      `the driver sent batch ${id} while a batch of that id was still running on this session; the second one is refused`,
    overCredit: (id: number, slots: number) =>
      `batch ${id} was sent beyond the credit this worker granted (${slots} slot(s) per session); it is refused, not queued. Use the same @parajob/grpc version on driver and worker.`,
    shuttingDown: () => 'the worker is shutting down',
    abuse: (max: number) =>
      `this session sent more than ${max} batches beyond its credit or with ids already running; a driver never does, so the worker ends it. Use the same @parajob/grpc version on driver and worker.`,
    bind: (address: string, reason: string) =>
      `--listen ${address}: could not listen there (${reason}); is the port taken, or the address not one of this host?`,
    notLoopback: (address: string) =>
      `listening on ${address}, beyond loopback: anyone who can reach it can run the allowed task modules. Use TLS with client certificates (--tls-cert --tls-key --tls-ca --tls-require-client-cert) on untrusted networks.`,
    protocol: (theirs: number, ours: number) =>
      `driver speaks protocol ${theirs}, this worker speaks ${ours}: install the same @parajob/grpc version on both`,
    unanswerable: (id: number, reason: string) => `the worker could not answer batch ${id} (${reason})`,
    badPayload: (reason: string) => `the batch could not be decoded on the worker (${reason})`,
  },
} as const;

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : String(value);
}
