/**
 * `parajob dashboard --servers URL [--namespace NS]`: the live dashboard of a NATS namespace —
 * its workers (from the capacity registry, with load and version), the queue, the calls in
 * flight with their progress, throughput and recent errors — served on loopback until
 * SIGINT/SIGTERM. Any other --listen host needs --token. The page and its server live in
 * @parajob/observe; what it watches, in @parajob/nats (an optional dependency, loaded here).
 */
import {
  FlagError,
  type FlagSpec,
  type FlagValues,
  readFlagFile,
  runWorkerCommand,
  stringFlag,
} from '@parajob/remote';
import type { Io } from '../io.js';

const FLAGS: readonly FlagSpec[] = [
  { name: 'servers', value: 'URL[,URL...]', help: 'the NATS server(s), nats://host:4222 (required)' },
  {
    name: 'namespace',
    value: 'NS',
    help: 'the namespace to show (as given to the workers)',
    default: 'default',
  },
  {
    name: 'listen',
    value: 'HOST:PORT',
    help: 'where the dashboard is served; a host other than loopback needs --token',
    default: '127.0.0.1:8642',
  },
  { name: 'token', value: 'T', help: 'the token the page must carry (?token=T); required off loopback' },
  { name: 'nats-token', value: 'T', help: 'authenticate to NATS with a token' },
  { name: 'nats-user', value: 'U', help: 'authenticate to NATS with a user name, with --nats-pass' },
  { name: 'nats-pass', value: 'P', help: 'the password of --nats-user' },
  { name: 'creds', value: 'FILE', help: 'authenticate to NATS with a .creds file (JWT + nkey seed)' },
  { name: 'tls-ca', value: 'FILE', help: 'the CA that signed the NATS server certificate (a private CA)' },
  { name: 'help', short: 'h', help: 'show this help' },
];

async function start(values: FlagValues) {
  const servers = stringFlag(values, 'servers');
  if (servers === undefined) throw new FlagError('--servers URL is required');
  const { parseAddress, RemoteCalls, remoteSource, startDashboard } = await import('@parajob/observe');
  const address = parseAddress(stringFlag(values, 'listen') ?? '127.0.0.1:8642', '--listen');
  const user = stringFlag(values, 'nats-user');
  const pass = stringFlag(values, 'nats-pass');
  if ((user === undefined) !== (pass === undefined))
    throw new FlagError('--nats-user and --nats-pass go together');
  const creds = stringFlag(values, 'creds');
  const tlsCa = stringFlag(values, 'tls-ca');
  if (creds !== undefined) readFlagFile('--creds', creds);
  if (tlsCa !== undefined) readFlagFile('--tls-ca', tlsCa);
  const token = stringFlag(values, 'token');
  const { watchNamespace } = await import('@parajob/nats');
  const calls = new RemoteCalls();
  const feed = await watchNamespace(
    {
      servers: servers.split(',').map((s) => s.trim()),
      namespace: stringFlag(values, 'namespace'),
      token: stringFlag(values, 'nats-token'),
      user,
      pass,
      creds,
      tls: tlsCa === undefined ? undefined : { caFile: tlsCa },
    },
    calls,
  );
  let dashboard: Awaited<ReturnType<typeof startDashboard>>;
  try {
    dashboard = await startDashboard({
      host: address.host,
      port: address.port,
      token,
      source: remoteSource(feed, calls),
    });
  } catch (error) {
    await feed.close();
    throw error;
  }
  return {
    ready: `dashboard of namespace ${feed.namespace} on ${dashboard.url}`,
    stop: () => dashboard.close(),
  };
}

export function dashboard(args: readonly string[], io: Io): Promise<number> {
  return runWorkerCommand(
    {
      command: 'dashboard',
      usage: 'parajob dashboard --servers URL [options]',
      summary:
        'Serves the live dashboard of a NATS namespace: workers with their load and version, the queue, calls in flight with their progress, throughput and recent errors. Stops on SIGINT/SIGTERM.',
      flags: FLAGS,
      start,
    },
    args,
    io,
  );
}
