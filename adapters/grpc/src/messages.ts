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
      'Start workers with `parajob worker grpc --listen HOST:PORT` and check the addresses and TLS settings (tls on the driver needs --tls-cert/--tls-key on the worker; --tls-ca on the worker requires a client certificate).',
    protocol: (address: string, theirs: number, ours: number) =>
      `gRPC worker ${address} speaks protocol ${theirs}, this driver speaks ${ours}: install the same @parajob/grpc version on both`,
    lost: (address: string, reason: string) => `gRPC worker ${address} was lost (${reason})`,
    noneLeft: (lost: string[]) =>
      `every gRPC worker of this backend was lost (${lost.join('; ')}); the batch could not run anywhere. Restart the workers and run the call again.`,
  },
  size: {
    batchTooLarge: (first: number, last: number, bytes: number, max: number, address: string) =>
      `tasks ${first}..${last}: their batch is ${fmtBytes(bytes)} once serialized, over the message limit of ${fmtBytes(max)} ` +
      `(worker ${address}). Raise maxMessageBytes on the driver and --max-message-bytes on the worker, use batchSize: 1, or pass smaller arguments.`,
    resultTooLarge: (first: number, last: number, bytes: number, max: number) =>
      `tasks ${first}..${last}: their results are ${fmtBytes(bytes)} once serialized, over this worker's message limit of ${fmtBytes(max)}. ` +
      'Raise --max-message-bytes on the worker and maxMessageBytes on the driver, or return smaller values.',
    rejectedByPeer: (address: string, detail: string) =>
      `gRPC worker ${address} refused a message as too large (${detail}): raise --max-message-bytes on the worker and maxMessageBytes on the driver to the same value`,
  },
  refuse: {
    absolute: (ref: string) =>
      `this worker refuses the module '${ref}': remote workers import task modules by a path relative to the project root ('./src/tasks.js') or by package name, never by absolute path or URL`,
    escapes: (ref: string) =>
      `this worker refuses the module '${ref}': the path leaves the worker's --root directory`,
    builtin: (ref: string) => `this worker refuses '${ref}': Node built-in modules are never task modules`,
    notAllowed: (ref: string, allow: readonly string[]) =>
      `this worker refuses the module '${ref}': no --allow pattern matches it (allowed: ${allow.join(', ')}). Start the worker with --allow '${ref}' (or a pattern such as '${
        ref.startsWith('./')
          ? './src/**'
          : `${ref
              .split('/')
              .slice(0, ref.startsWith('@') ? 2 : 1)
              .join('/')}`
      }')`,
    unresolvable: (ref: string, root: string, reason: string) =>
      `this worker cannot find the module '${ref}' under its --root ${root} (${reason}): install the same project and packages on the worker, or start it with --root pointing at the project`,
    source: (name: string) =>
      `this worker refuses functions shipped as source ('${name}'): start it with --allow-source, or define the function with task(import.meta.url, fn) in a module the worker allows`,
  },
  driver: {
    unmappable: (url: string, reason: string) =>
      `the task module ${url} cannot be named to a remote worker (${reason}). Keep task modules inside your project (under the nearest package.json) or in an installed package that exports them.`,
  },
  worker: {
    listen: (v: string) => `--listen must be PORT or HOST:PORT (e.g. 50051 or 0.0.0.0:50051), got '${v}'`,
    concurrency: (v: string) => `--concurrency must be a positive integer, got '${v}'`,
    maxMessageBytes: (v: string) =>
      `--max-message-bytes must be a positive integer number of bytes, got '${v}'`,
    tlsPair: () =>
      "--tls-cert and --tls-key go together (the worker's certificate and key); --tls-ca additionally requires client certificates (mTLS)",
    tlsCaAlone: () =>
      '--tls-ca needs --tls-cert and --tls-key too: the worker must present its own certificate before it can require one from clients',
    bind: (address: string, reason: string) => `could not listen on ${address}: ${reason}`,
    notLoopback: (address: string) =>
      `listening on ${address}, beyond loopback: anyone who can reach it can run the allowed task modules. Use TLS with client certificates (--tls-cert --tls-key --tls-ca) on untrusted networks.`,
    protocol: (theirs: number, ours: number) =>
      `driver speaks protocol ${theirs}, this worker speaks ${ours}: install the same @parajob/grpc version on both`,
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
