/**
 * `parajob worker nats --servers URL [...]`: a long-running NATS worker (DESIGN §7). The logic
 * lives in @parajob/nats (startNatsWorker); this file parses flags and handles signals.
 */
import { parseArgs } from 'node:util';

const USAGE =
  'usage: parajob worker nats --servers URL [--concurrency N] [--root DIR] [--allow PATTERN]... [--allow-source]\n' +
  '                           [--namespace NS] [--token T | --user U --pass P | --creds FILE]\n' +
  '                           [--tls-ca FILE] [--tls-cert FILE] [--tls-key FILE] [--ack-wait MS] [--shutdown-grace MS]\n' +
  '\n' +
  'Pulls task batches from the NATS JetStream work queue and runs them in a local worker-threads pool.\n' +
  '  --servers URL        nats://host:4222 (comma-separated for a cluster)\n' +
  '  --concurrency N      batches run at once (default: all CPUs)\n' +
  '  --root DIR           project whose modules and node_modules tasks resolve from (default: cwd)\n' +
  "  --allow PATTERN      package-name glob whose task modules may run, '.' = the root project (default: '.')\n" +
  '  --allow-source       also run functions shipped as source (arrow functions without task())\n' +
  '  SIGINT/SIGTERM finish (or hand back) running batches, deregister and exit 0.';

function usageError(message: string): number {
  process.stderr.write(`parajob worker nats: ${message}\n${USAGE}\n`);
  return 2;
}

function positive(name: string, value: string | undefined): number | undefined | Error {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) return new Error(`${name} must be a positive integer, got '${value}'`);
  return n;
}

export async function run(args: string[]): Promise<number> {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        servers: { type: 'string' },
        concurrency: { type: 'string' },
        root: { type: 'string' },
        allow: { type: 'string', multiple: true },
        'allow-source': { type: 'boolean' },
        namespace: { type: 'string' },
        token: { type: 'string' },
        user: { type: 'string' },
        pass: { type: 'string' },
        creds: { type: 'string' },
        'tls-ca': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'ack-wait': { type: 'string' },
        'shutdown-grace': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    return usageError((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const servers = values.servers as string | undefined;
  if (!servers) return usageError('--servers is required');
  const concurrency = positive('--concurrency', values.concurrency as string | undefined);
  const ackWaitMs = positive('--ack-wait', values['ack-wait'] as string | undefined);
  const shutdownGraceMs = positive('--shutdown-grace', values['shutdown-grace'] as string | undefined);
  for (const v of [concurrency, ackWaitMs, shutdownGraceMs])
    if (v instanceof Error) return usageError(v.message);
  if ((values.user === undefined) !== (values.pass === undefined))
    return usageError('--user and --pass go together');
  if ([values.token, values.user, values.creds].filter((v) => v !== undefined).length > 1) {
    return usageError('give one of --token, --user/--pass or --creds');
  }
  const tlsFiles = {
    caFile: values['tls-ca'],
    certFile: values['tls-cert'],
    keyFile: values['tls-key'],
  } as Record<string, string | undefined>;
  const tls = Object.values(tlsFiles).some((v) => v !== undefined)
    ? Object.fromEntries(Object.entries(tlsFiles).filter(([, v]) => v !== undefined))
    : undefined;

  const { startNatsWorker } = await import('@parajob/nats');
  let worker: Awaited<ReturnType<typeof startNatsWorker>>;
  try {
    worker = await startNatsWorker({
      servers: servers.split(',').map((s) => s.trim()),
      concurrency: concurrency as number | undefined,
      root: values.root as string | undefined,
      allow: values.allow as string[] | undefined,
      allowSource: values['allow-source'] === true,
      namespace: values.namespace as string | undefined,
      token: values.token as string | undefined,
      user: values.user as string | undefined,
      pass: values.pass as string | undefined,
      creds: values.creds as string | undefined,
      tls,
      ackWaitMs: ackWaitMs as number | undefined,
      shutdownGraceMs: shutdownGraceMs as number | undefined,
      log: (line) => process.stderr.write(`${line}\n`),
    });
  } catch (error) {
    process.stderr.write(`parajob worker nats: ${(error as Error).message}\n`);
    return 1;
  }
  process.stderr.write(`parajob worker nats: ready (${worker.id}, ${worker.capacity} slot(s))\n`);
  await new Promise<void>((resolve) => {
    const onSignal = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await worker.stop();
  return 0;
}
