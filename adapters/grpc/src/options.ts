/** Options of `new GrpcBackend(options)` (also what parallelConfig({ backend: 'grpc', ... }) passes). */

import { DEFAULT_MAX_MESSAGE_BYTES } from './limits.js';
import { describeValue, messages } from './messages.js';
import { type GrpcTlsOptions, validateTls } from './tls.js';

export interface GrpcBackendOptions {
  /** Worker addresses, `host:port` (workers started with `parajob worker grpc --listen HOST:PORT`). */
  workers: readonly string[];
  /** true: TLS with the system CAs; an object: your CA, and a client certificate for mTLS workers. Default: plaintext. */
  tls?: boolean | GrpcTlsOptions;
  /** Times a batch of a lost worker runs again on another worker before the call fails with WorkerCrashedError. Default 0. */
  retries?: number;
  /** Largest batch sent or result received, in bytes; default 64 MiB (keep it equal to the workers' --max-message-bytes). */
  maxMessageBytes?: number;
  /** Deadline of the Hello each worker gets at configure(); default 5000 ms. */
  connectTimeoutMs?: number;
  /** Interval of HTTP/2 keepalive pings on a session, which detect a worker host that vanished; default 30 000 ms. */
  keepaliveMs?: number;
  /** Project root task modules are named relative to; default: the nearest package.json above the working directory. */
  root?: string;
}

export interface ResolvedGrpcOptions {
  readonly workers: readonly string[];
  readonly tls: true | GrpcTlsOptions | undefined;
  readonly retries: number;
  readonly maxMessageBytes: number;
  readonly connectTimeoutMs: number;
  readonly keepaliveMs: number;
  readonly root: string | undefined;
}

const KNOWN = [
  'workers',
  'tls',
  'retries',
  'maxMessageBytes',
  'connectTimeoutMs',
  'keepaliveMs',
  'root',
] as const;

const ADDRESS = /^(?:\[[0-9a-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/i;

function positive(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
    throw new RangeError(messages.option.positive(name, describeValue(value)));
  return value;
}

export function resolveGrpcOptions(options: unknown): ResolvedGrpcOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(messages.option.notObject(describeValue(options)));
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!(KNOWN as readonly string[]).includes(key)) throw new TypeError(messages.option.unknown(key, KNOWN));
  }
  const workers = o.workers;
  if (!Array.isArray(workers) || workers.length === 0 || workers.some((w) => typeof w !== 'string')) {
    throw new TypeError(messages.option.workers(describeValue(workers)));
  }
  for (const w of workers as string[])
    if (!ADDRESS.test(w)) throw new TypeError(messages.option.address(describeValue(w)));
  const retries = o.retries ?? 0;
  if (typeof retries !== 'number' || !Number.isSafeInteger(retries) || retries < 0)
    throw new RangeError(messages.option.retries(describeValue(retries)));
  if (o.root !== undefined && typeof o.root !== 'string')
    throw new TypeError(`GrpcBackend: options.root must be a directory path, got ${describeValue(o.root)}`);
  return {
    workers: [...(workers as string[])],
    tls: validateTls(o.tls),
    retries,
    maxMessageBytes: positive('maxMessageBytes', o.maxMessageBytes, DEFAULT_MAX_MESSAGE_BYTES),
    connectTimeoutMs: positive('connectTimeoutMs', o.connectTimeoutMs, 5000),
    keepaliveMs: positive('keepaliveMs', o.keepaliveMs, 30_000),
    root: o.root as string | undefined,
  };
}
