/**
 * The command-line flags every remote worker command shares (`parajob worker nats`, `parajob
 * worker grpc`), defined once with their meaning and default, plus a small parser whose errors
 * are one line naming the flag (no raw parser messages). TLS flags mean the same everywhere:
 * `--tls-cert`/`--tls-key` are this worker's own identity, `--tls-ca` is the CA this worker
 * trusts for its peer (the NATS server; on gRPC, the drivers' client certificates).
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpuCount } from '@parajob/core';
import type { WorkerLimits } from './limits.js';
import { messages } from './messages.js';

export interface FlagSpec {
  readonly name: string;
  /** Placeholder of the value (`DIR`, `N`); absent for a boolean flag. */
  readonly value?: string;
  readonly multiple?: boolean;
  readonly short?: string;
  readonly help: string;
  /** The default, as the help shows it. */
  readonly default?: string;
}

export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;
/**
 * Most batches a worker runs at once (one thread each): far above any host's cores, and low enough
 * that a typo cannot make a worker grant drivers unbounded credit or fail to allocate its slots.
 */
export const MAX_CONCURRENCY = 1024;

/** The flags of every worker command, in help order. */
export const WORKER_FLAGS: readonly FlagSpec[] = [
  {
    name: 'root',
    value: 'DIR',
    help: 'the project whose task modules this worker runs; names resolve under it',
    default:
      "the nearest directory with a package.json at or above the working directory (none there: a startup error, unless --allow leaves out '.')",
  },
  {
    name: 'allow',
    value: 'ENTRY',
    multiple: true,
    help: "what may be imported, repeatable: '.' = the project under --root, a package name ('my-tasks'), or a pattern ('@acme/*'); only functions registered with task() run",
    default: "'.' (the project only, never its node_modules)",
  },
  {
    name: 'allow-source',
    help: 'also run functions shipped as source: any driver that can connect runs any code',
    default: 'off',
  },
  {
    name: 'concurrency',
    value: 'N',
    help: 'batches run at once, on a local worker-threads pool',
    default: 'every CPU',
  },
  {
    name: 'max-tasks-per-worker',
    value: 'N',
    help: 'a pool thread that has run N tasks is replaced after its batch (never mid-task)',
    default: 'never',
  },
  {
    name: 'max-memory-per-worker',
    value: 'MB',
    help: 'heap limit of each pool thread: a task over it fails (OUT_OF_MEMORY) and the thread is replaced; a thread near it is replaced between batches',
    default: 'none',
  },
  {
    name: 'idle-timeout',
    value: 'MS',
    help: 'how long an idle pool thread is kept for the next batch before it exits',
    default: '30000',
  },
  { name: 'tls-cert', value: 'FILE', help: "this worker's TLS certificate (PEM), with --tls-key" },
  { name: 'tls-key', value: 'FILE', help: "this worker's TLS private key (PEM), with --tls-cert" },
  {
    name: 'shutdown-grace',
    value: 'MS',
    help: 'on SIGINT/SIGTERM, how long running batches may finish before they are handed back',
    default: String(DEFAULT_SHUTDOWN_GRACE_MS),
  },
  {
    name: 'metrics',
    value: 'HOST:PORT',
    help: "serve this worker's Prometheus metrics on http://HOST:PORT/metrics (needs @parajob/observe)",
    default: 'off; HOST defaults to 127.0.0.1 (give 0.0.0.0:PORT to let another machine scrape)',
  },
  { name: 'help', short: 'h', help: 'show this help' },
];

/** A bad command line: one line naming the flag; the command prints it with a hint to --help. */
export class FlagError extends Error {
  override name = 'FlagError';
}

export type FlagValues = Record<string, string | string[] | true | undefined>;

/** Parses `--name value`, `--name=value`, `-h`; refuses unknown flags and positionals. */
export function parseFlags(args: readonly string[], specs: readonly FlagSpec[]): FlagValues {
  const values: FlagValues = {};
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    let spec: FlagSpec | undefined;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      spec = byName.get(eq < 0 ? arg.slice(2) : arg.slice(2, eq));
      if (eq >= 0) inline = arg.slice(eq + 1);
    } else if (arg.startsWith('-') && arg.length === 2) spec = byShort.get(arg.slice(1));
    else throw new FlagError(messages.flags.positional(arg));
    if (spec === undefined) throw new FlagError(messages.flags.unknown(arg.split('=')[0]!));
    const flag = `--${spec.name}`;
    if (spec.value === undefined) {
      if (inline !== undefined) throw new FlagError(messages.flags.noValue(flag));
      values[spec.name] = true;
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined || (inline === undefined && value.startsWith('--')))
      throw new FlagError(messages.flags.value(flag));
    if (spec.multiple) ((values[spec.name] ??= []) as string[]).push(value);
    else values[spec.name] = value;
  }
  return values;
}

/** The help text: a summary, then every flag with its meaning and default. */
export function helpText(usage: string, summary: string, specs: readonly FlagSpec[], footer = ''): string {
  const lines = [`Usage: ${usage}`, '', summary, '', 'Options:'];
  for (const s of specs) {
    const head = `${s.short ? `-${s.short}, ` : ''}--${s.name}${s.value ? ` ${s.value}` : ''}`;
    lines.push(`  ${head.padEnd(26)} ${s.help}`);
    if (s.default !== undefined) lines.push(`  ${''.padEnd(26)} (default: ${s.default})`);
  }
  return `${lines.join('\n')}\n${footer ? `\n${footer}\n` : ''}`;
}

export function stringFlag(values: FlagValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/** A positive integer flag, or undefined when absent; throws a FlagError naming it. */
export function positiveFlag(values: FlagValues, name: string): number | undefined {
  const text = stringFlag(values, name);
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1)
    throw new FlagError(messages.flags.positive(`--${name}`, text));
  return n;
}

/** What the shared flags mean, once parsed and checked. */
export interface WorkerFlags {
  readonly root: string | undefined;
  readonly allow: readonly string[];
  readonly allowSource: boolean;
  readonly concurrency: number;
  readonly shutdownGraceMs: number;
  readonly tlsCert: string | undefined;
  readonly tlsKey: string | undefined;
  readonly tlsCa: string | undefined;
  /** Recycling limits of the worker's thread pool; only the flags given. */
  readonly limits: WorkerLimits;
}

export function workerFlags(values: FlagValues): WorkerFlags {
  const tlsCert = stringFlag(values, 'tls-cert');
  const tlsKey = stringFlag(values, 'tls-key');
  if ((tlsCert === undefined) !== (tlsKey === undefined)) throw new FlagError(messages.flags.pair());
  return {
    root: stringFlag(values, 'root'),
    allow: (values.allow as string[] | undefined) ?? [],
    allowSource: values['allow-source'] === true,
    concurrency: concurrencyFlag(values) ?? cpuCount(),
    shutdownGraceMs: nonNegativeFlag(values, 'shutdown-grace') ?? DEFAULT_SHUTDOWN_GRACE_MS,
    tlsCert,
    tlsKey,
    tlsCa: stringFlag(values, 'tls-ca'),
    limits: limitFlags(values),
  };
}

function limitFlags(values: FlagValues): WorkerLimits {
  const limits: { -readonly [K in keyof WorkerLimits]: number } = {};
  const maxTasks = positiveFlag(values, 'max-tasks-per-worker');
  if (maxTasks !== undefined) limits.maxTasksPerWorker = maxTasks;
  const maxMemory = positiveFlag(values, 'max-memory-per-worker');
  if (maxMemory !== undefined) limits.maxMemoryPerWorker = maxMemory;
  const idle = nonNegativeFlag(values, 'idle-timeout');
  if (idle !== undefined) limits.idleTimeout = idle;
  return limits;
}

function concurrencyFlag(values: FlagValues): number | undefined {
  const text = stringFlag(values, 'concurrency');
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > MAX_CONCURRENCY)
    throw new FlagError(messages.flags.concurrency(text, MAX_CONCURRENCY));
  return n;
}

function nonNegativeFlag(values: FlagValues, name: string): number | undefined {
  const text = stringFlag(values, name);
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)))
    throw new FlagError(messages.flags.nonNegative(`--${name}`, text));
  return Number(text);
}

/** Reads a file named by a flag (TLS material); a FlagError names the flag when it cannot. */
export function readFlagFile(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new FlagError(
      messages.flags.readFile(flag, path, (error as NodeJS.ErrnoException).code ?? String(error)),
    );
  }
}

/** This worker's TLS material, read and checked: each PEM parses, and the key belongs to the certificate. */
export interface TlsFiles {
  readonly cert: Buffer | undefined;
  readonly key: Buffer | undefined;
  readonly ca: Buffer | undefined;
}

/**
 * Reads `--tls-cert`, `--tls-key` and `--tls-ca` before anything listens or connects, so a file
 * that is not what its flag says is a startup error naming that flag — not a bind or handshake
 * failure blamed on `--listen` or `--servers` later.
 */
export function readTlsFlags(flags: Pick<WorkerFlags, 'tlsCert' | 'tlsKey' | 'tlsCa'>): TlsFiles {
  const read = (flag: string, path: string | undefined) =>
    path === undefined ? undefined : readFlagFile(flag, path);
  const cert = read('--tls-cert', flags.tlsCert);
  const key = read('--tls-key', flags.tlsKey);
  const ca = read('--tls-ca', flags.tlsCa);
  const parse = <T>(flag: string, path: string, what: string, make: () => T): T => {
    try {
      return make();
    } catch (error) {
      throw new FlagError(messages.flags.badPem(flag, path, what, (error as Error).message));
    }
  };
  if (cert !== undefined && key !== undefined) {
    const x509 = parse('--tls-cert', flags.tlsCert!, 'a PEM certificate', () => new X509Certificate(cert));
    const privateKey = parse('--tls-key', flags.tlsKey!, 'a PEM private key', () => createPrivateKey(key));
    if (!x509.checkPrivateKey(privateKey))
      throw new FlagError(messages.flags.keyMismatch(flags.tlsKey!, flags.tlsCert!));
  }
  if (ca !== undefined)
    parse('--tls-ca', flags.tlsCa!, 'a PEM CA certificate', () => new X509Certificate(ca));
  return { cert, key, ca };
}
