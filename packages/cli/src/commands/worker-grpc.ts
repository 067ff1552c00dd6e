/**
 * `parajob worker grpc`: a long-running gRPC worker. The logic lives in @parajob/grpc
 * (startGrpcWorker); the flags shared with `parajob worker nats`, the help, the exit codes and
 * the SIGINT/SIGTERM drain come from @parajob/remote's worker command skeleton.
 */
import {
  FlagError,
  type FlagSpec,
  type FlagValues,
  positiveFlag,
  readTlsFlags,
  runWorkerCommand,
  stringFlag,
  WORKER_FLAGS,
  workerFlags,
} from '@parajob/remote';

/** What this command uses of @parajob/grpc (an optional dependency of the CLI, imported lazily). */
interface GrpcWorkerModule {
  startGrpcWorker(options: {
    listen: string;
    concurrency?: number;
    root?: string;
    allow?: readonly string[];
    allowSource?: boolean;
    tls?: { cert: Buffer; key: Buffer; ca?: Buffer; requireClientCert?: boolean };
    maxMessageBytes?: number;
    maxSessions?: number;
    shutdownGraceMs?: number;
    maxTasksPerWorker?: number;
    maxMemoryPerWorker?: number;
    idleTimeout?: number;
    log?: (message: string) => void;
  }): Promise<{ address: string; capacity: number; close(): Promise<void> }>;
}

// a computed specifier: resolved at run time only, so the CLI builds and runs without @parajob/grpc
const GRPC_PACKAGE = '@parajob/grpc';

const FLAGS: readonly FlagSpec[] = [
  {
    name: 'listen',
    value: 'HOST:PORT',
    help: 'address to listen on; a bare PORT means 127.0.0.1:PORT, port 0 a free port (required)',
  },
  ...WORKER_FLAGS.filter((f) => f.name !== 'help'),
  {
    name: 'tls-ca',
    value: 'FILE',
    help: "the CA this worker trusts for its peers: drivers' client certificates must be signed by it (with --tls-require-client-cert)",
  },
  {
    name: 'tls-require-client-cert',
    help: 'mTLS: refuse drivers without a client certificate signed by --tls-ca',
    default: 'off',
  },
  { name: 'max-message-bytes', value: 'N', help: 'largest batch or result, in bytes', default: '67108864' },
  {
    name: 'max-sessions',
    value: 'N',
    help: 'driver sessions served at once (each may hold --concurrency batches); one more is refused',
    default: '256',
  },
  { name: 'help', short: 'h', help: 'show this help' },
];

async function start(values: FlagValues, log: (line: string) => void) {
  const listen = stringFlag(values, 'listen');
  if (listen === undefined) throw new FlagError('--listen HOST:PORT is required');
  const common = workerFlags(values);
  const requireClientCert = values['tls-require-client-cert'] === true;
  if ((common.tlsCa !== undefined || requireClientCert) && common.tlsCert === undefined)
    throw new FlagError('--tls-ca and --tls-require-client-cert need --tls-cert and --tls-key');
  if ((common.tlsCa === undefined) !== !requireClientCert)
    throw new FlagError('--tls-ca and --tls-require-client-cert go together on a gRPC worker (mTLS)');
  // read and checked now: a file that is not what its flag says is named here, not at bind time
  const files = readTlsFlags(common);
  const tls =
    files.cert === undefined || files.key === undefined
      ? undefined
      : { cert: files.cert, key: files.key, ca: files.ca, requireClientCert };
  const { startGrpcWorker } = (await import(GRPC_PACKAGE)) as GrpcWorkerModule;
  const worker = await startGrpcWorker({
    listen,
    concurrency: common.concurrency,
    root: common.root,
    allow: common.allow,
    allowSource: common.allowSource,
    tls,
    maxMessageBytes: positiveFlag(values, 'max-message-bytes'),
    maxSessions: positiveFlag(values, 'max-sessions'),
    shutdownGraceMs: common.shutdownGraceMs,
    ...common.limits,
    log,
  });
  log(
    `${worker.capacity} slots, ${tls ? (requireClientCert ? 'mTLS' : 'TLS') : 'plaintext'}, allow ${common.allow.length > 0 ? common.allow.join(' ') : '.'}; stop with Ctrl-C (running batches finish first)`,
  );
  return { ready: `listening on ${worker.address}`, stop: () => worker.close() };
}

export function run(args: string[]): Promise<number> {
  return runWorkerCommand(
    {
      command: 'worker grpc',
      usage: 'parajob worker grpc --listen HOST:PORT [options]',
      summary:
        'Runs task batches sent by GrpcBackend drivers on a local worker-threads pool. Only functions registered\nwith task() in modules --allow permits are run (see docs/security.md).',
      flags: FLAGS,
      footer:
        'Prints "listening on HOST:PORT" on stdout when ready. SIGINT/SIGTERM: running batches finish\n(up to --shutdown-grace), the rest go back to their drivers, exit 0.',
      start,
    },
    args,
  );
}
