/**
 * `parajob worker nats --servers URL [...]`: a long-running NATS worker (DESIGN §7). The logic
 * lives in @parajob/nats (startNatsWorker); the flags shared with `parajob worker grpc`, the help,
 * the exit codes and the SIGINT/SIGTERM drain come from @parajob/remote's worker command skeleton.
 */
import {
  FlagError,
  type FlagSpec,
  type FlagValues,
  positiveFlag,
  readFlagFile,
  readTlsFlags,
  runWorkerCommand,
  stringFlag,
  WORKER_FLAGS,
  workerFlags,
} from '@parajob/remote';

const FLAGS: readonly FlagSpec[] = [
  { name: 'servers', value: 'URL[,URL...]', help: 'the NATS server(s), nats://host:4222 (required)' },
  ...WORKER_FLAGS.filter((f) => f.name !== 'help'),
  {
    name: 'tls-ca',
    value: 'FILE',
    help: "the CA this worker trusts for its peer, the NATS server (a private CA); --tls-cert/--tls-key are this worker's client certificate when the server verifies clients",
    default: "the system's CAs",
  },
  {
    name: 'namespace',
    value: 'NS',
    help: 'separates independent clusters on one server (part of stream and subject names)',
    default: 'default',
  },
  {
    name: 'resources',
    value: 'NAME=N,...',
    help: 'custom resources this worker has, e.g. gpu=1,mem=4 (whole numbers): tasks asking for them with .options({ resources }) run only on workers that declare them; CPU is --concurrency',
    default: 'none',
  },
  { name: 'token', value: 'T', help: 'authenticate with a token' },
  { name: 'user', value: 'U', help: 'authenticate with a user name, with --pass' },
  { name: 'pass', value: 'P', help: 'the password of --user' },
  { name: 'creds', value: 'FILE', help: 'authenticate with a .creds file (JWT + nkey seed)' },
  {
    name: 'ack-wait',
    value: 'MS',
    help: "how long a silent worker keeps a batch before the server redelivers it: the cluster's setting, which drivers never change; given, it updates the shared consumer (give every worker the same value); absent, the current value stays",
    default: '30000',
  },
  {
    name: 'holder-wait',
    value: 'MS',
    help: 'how long a worker given a batch again asks whether a live worker still runs it (after a nats-server restart) before counting the delivery as an attempt; raise it where workers reconnect slowly',
    default: '2500',
  },
  { name: 'help', short: 'h', help: 'show this help' },
];

async function start(values: FlagValues, log: (line: string) => void) {
  const servers = stringFlag(values, 'servers');
  if (servers === undefined) throw new FlagError('--servers URL is required');
  const common = workerFlags(values);
  const user = stringFlag(values, 'user');
  const pass = stringFlag(values, 'pass');
  const token = stringFlag(values, 'token');
  const creds = stringFlag(values, 'creds');
  if ((user === undefined) !== (pass === undefined)) throw new FlagError('--user and --pass go together');
  if ([token, user, creds].filter((v) => v !== undefined).length > 1)
    throw new FlagError('give one of --token, --user/--pass or --creds');
  // read and checked now, so a bad file names its flag before anything connects
  readTlsFlags(common);
  if (creds !== undefined) readFlagFile('--creds', creds);
  const tls =
    common.tlsCa === undefined && common.tlsCert === undefined
      ? undefined
      : { caFile: common.tlsCa, certFile: common.tlsCert, keyFile: common.tlsKey };
  const { parseResources, startNatsWorker } = await import('@parajob/nats');
  const resourcesText = stringFlag(values, 'resources');
  const resources = resourcesText === undefined ? undefined : parseResources(resourcesText);
  const worker = await startNatsWorker({
    servers: servers.split(',').map((s) => s.trim()),
    concurrency: common.concurrency,
    resources,
    root: common.root,
    allow: common.allow,
    allowSource: common.allowSource,
    namespace: stringFlag(values, 'namespace'),
    token,
    user,
    pass,
    creds,
    tls,
    ackWaitMs: positiveFlag(values, 'ack-wait'),
    holderWaitMs: positiveFlag(values, 'holder-wait'),
    shutdownGraceMs: common.shutdownGraceMs,
    ...common.limits,
    log,
  }).catch((error: Error) => {
    // a RangeError names its own flag (--root, --allow, --concurrency); the rest is the server's
    if (error instanceof RangeError) throw error;
    throw new Error(`--servers ${servers}: ${error.message}`, { cause: error });
  });
  return { ready: `ready (${worker.id}, ${worker.capacity} slot(s))`, stop: () => worker.stop() };
}

export function run(args: string[]): Promise<number> {
  return runWorkerCommand(
    {
      command: 'worker nats',
      usage: 'parajob worker nats --servers URL [options]',
      summary:
        'Pulls task batches from the NATS JetStream work queue and runs them on a local worker-threads pool. Only\nfunctions registered with task() in modules --allow permits are run (see docs/security.md).',
      flags: FLAGS,
      footer:
        'Prints "ready (ID, N slot(s))" on stdout when ready. SIGINT/SIGTERM: running batches finish (up to\n--shutdown-grace), the rest go back to the queue, the worker deregisters, exit 0.',
      start,
    },
    args,
  );
}
