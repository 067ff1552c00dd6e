/**
 * `parajob worker nats|grpc ...`: long-running remote workers. Each kind lives in its own module
 * (./worker-nats.js, ./worker-grpc.js), loaded only when asked for, because its adapter package
 * (@parajob/nats, @parajob/grpc) is an optional dependency that may not be installed.
 */
import { CliError, EXIT_OK, EXIT_USAGE, UsageError } from '../errors.js';
import type { Io } from '../io.js';
import { messages } from '../messages.js';
import { WORKER_USAGE } from '../usage.js';

export const WORKER_KINDS = ['nats', 'grpc'] as const;
export type WorkerKind = (typeof WORKER_KINDS)[number];

interface WorkerModule {
  run(args: string[]): Promise<number>;
}

/** True when `error` says the worker module, or the adapter package it needs, is not installed. */
export function isMissingWorker(error: unknown, kind: string): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  if (e?.code !== 'ERR_MODULE_NOT_FOUND' && e?.code !== 'MODULE_NOT_FOUND') return false;
  const message = String(e.message);
  return (
    message.includes(`worker-${kind}.js`) ||
    message.includes(`'@parajob/${kind}'`) ||
    message.includes(`@parajob/${kind}/`)
  );
}

export async function loadWorkerModule(kind: WorkerKind): Promise<WorkerModule> {
  // a computed specifier: the module is optional and must not be resolved at build time
  const specifier = new URL(`./worker-${kind}.js`, import.meta.url).href;
  try {
    return (await import(specifier)) as WorkerModule;
  } catch (error) {
    if (isMissingWorker(error, kind)) throw new CliError(messages.worker.missing(kind), EXIT_USAGE);
    throw error;
  }
}

export async function worker(args: readonly string[], io: Io): Promise<number> {
  const [kind, ...rest] = args;
  if (kind === '-h' || kind === '--help') {
    io.stdout.write(WORKER_USAGE);
    return EXIT_OK;
  }
  if (kind === undefined || kind.startsWith('-')) throw new UsageError(messages.worker.needKind(), 'worker');
  if (!(WORKER_KINDS as readonly string[]).includes(kind))
    throw new UsageError(messages.worker.unknownKind(kind), 'worker');
  const module = await loadWorkerModule(kind as WorkerKind);
  try {
    return await module.run(rest);
  } catch (error) {
    // the worker module may import its adapter lazily, inside run()
    if (isMissingWorker(error, kind)) throw new CliError(messages.worker.missing(kind), EXIT_USAGE);
    throw error;
  }
}
