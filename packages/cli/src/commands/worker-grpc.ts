/**
 * `parajob worker grpc`: a long-running gRPC worker. The logic lives in @parajob/grpc
 * (startGrpcWorker); this file parses flags, prints the bound address when ready, and turns
 * SIGINT/SIGTERM into a graceful stop (in-flight batches finish and are answered, exit 0).
 */
import { parseArgs } from 'node:util';

/** What this command uses of @parajob/grpc (an optional dependency of the CLI, imported lazily). */
interface GrpcWorkerModule {
  startGrpcWorker(options: {
    listen: string;
    concurrency?: number;
    root?: string;
    allow?: readonly string[];
    allowSource?: boolean;
    tls?: { cert: string; key: string; ca?: string };
    maxMessageBytes?: number;
  }): Promise<{ address: string; capacity: number; close(): Promise<void> }>;
}

// a computed specifier: resolved at run time only, so the CLI builds and runs without @parajob/grpc
const GRPC_PACKAGE = '@parajob/grpc';

export const usage = `Usage: parajob worker grpc --listen HOST:PORT [options]

Runs task batches sent by GrpcBackend drivers in a local worker-threads pool.

  --listen HOST:PORT     address to listen on; a bare PORT means 127.0.0.1:PORT (port 0: a free port)
  --concurrency N        batches run at once (default: every CPU)
  --root DIR             project root task modules are resolved under (default: nearest package.json)
  --allow PATTERN        task modules this worker imports, repeatable: './src/**', '@acme/tasks'
                         (default: the project under --root, './**')
  --allow-source         also run functions shipped as source (any connecting driver runs any code)
  --tls-cert FILE        the worker's TLS certificate (PEM); with --tls-key
  --tls-key FILE         the worker's TLS private key (PEM)
  --tls-ca FILE          require client certificates signed by this CA (mTLS)
  --max-message-bytes N  largest batch or result, in bytes (default 67108864)
  -h, --help             this text

Prints "listening on HOST:PORT" on stdout when ready.`;

function fail(message: string): number {
  process.stderr.write(`parajob worker grpc: ${message}\n\n${usage}\n`);
  return 2;
}

function positiveInt(text: string | undefined): number | undefined | null {
  if (text === undefined) return undefined;
  return /^\d+$/.test(text) && Number(text) > 0 && Number.isSafeInteger(Number(text)) ? Number(text) : null;
}

export async function run(args: string[]): Promise<number> {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      allowPositionals: false,
      strict: true,
      options: {
        listen: { type: 'string' },
        concurrency: { type: 'string' },
        root: { type: 'string' },
        allow: { type: 'string', multiple: true },
        'allow-source': { type: 'boolean' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'tls-ca': { type: 'string' },
        'max-message-bytes': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    return fail((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const listen = values.listen as string | undefined;
  if (listen === undefined) return fail('--listen HOST:PORT is required');
  const concurrency = positiveInt(values.concurrency as string | undefined);
  if (concurrency === null)
    return fail(`--concurrency must be a positive integer, got '${values.concurrency}'`);
  const maxMessageBytes = positiveInt(values['max-message-bytes'] as string | undefined);
  if (maxMessageBytes === null)
    return fail(`--max-message-bytes must be a positive integer, got '${values['max-message-bytes']}'`);
  const cert = values['tls-cert'] as string | undefined;
  const key = values['tls-key'] as string | undefined;
  const ca = values['tls-ca'] as string | undefined;
  if ((cert === undefined) !== (key === undefined)) return fail('--tls-cert and --tls-key go together');
  if (ca !== undefined && cert === undefined)
    return fail('--tls-ca (require client certificates) needs --tls-cert and --tls-key too');

  const { startGrpcWorker } = (await import(GRPC_PACKAGE)) as GrpcWorkerModule;
  let worker: Awaited<ReturnType<GrpcWorkerModule['startGrpcWorker']>>;
  try {
    worker = await startGrpcWorker({
      listen,
      concurrency,
      root: values.root as string | undefined,
      allow: (values.allow as string[] | undefined) ?? [],
      allowSource: values['allow-source'] === true,
      tls: cert === undefined || key === undefined ? undefined : { cert, key, ca },
      maxMessageBytes,
    });
  } catch (error) {
    if (error instanceof RangeError) return fail(error.message);
    process.stderr.write(`parajob worker grpc: ${(error as Error).message}\n`);
    return 1;
  }
  process.stdout.write(`listening on ${worker.address}\n`);
  process.stderr.write(
    `parajob worker grpc: ${worker.capacity} slots, ${cert ? (ca ? 'mTLS' : 'TLS') : 'plaintext'}; stop with Ctrl-C (in-flight batches finish first)\n`,
  );
  return new Promise<number>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      worker.close().then(
        () => resolve(0),
        (error: unknown) => {
          process.stderr.write(`parajob worker grpc: ${(error as Error).message}\n`);
          resolve(1);
        },
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
