/**
 * The attacker's kit for the remote worker e2e suites: a throwaway project on disk (its own task
 * module, an installed package with a dangerous export, symlinks that leave the project), real
 * `parajob worker grpc|nats` processes started in it, and raw clients that send whatever bytes
 * and headers an attacker would — no driver in between.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import v8 from 'node:v8';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import {
  type NatsConnection,
  connect as natsConnect,
  headers as natsHeaders,
  nuid,
} from '@nats-io/transport-node';
import type { WireBatch, WireFunction } from '@parajob/core/backend';
import { PROTO_PATH } from '@parajob/grpc';

const CLI = fileURLToPath(new URL('../../packages/cli/dist/bin.js', import.meta.url));
const CORE_DIR = realpathSync(fileURLToPath(new URL('../../packages/core', import.meta.url)));

export interface AttackProject {
  readonly root: string;
  readonly outside: string;
  /** Written by every dangerous function: the suite asserts it never appears. */
  readonly marker: string;
  remove(): void;
}

function write(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

export function makeAttackProject(): AttackProject {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'parajob-attack-')));
  const root = join(base, 'app');
  const outside = join(base, 'outside');
  const marker = join(base, 'pwned');
  const core = JSON.stringify(pathToFileURL(join(CORE_DIR, 'dist/index.js')).href);
  const pwn = `(await import('node:fs')).writeFileSync(${JSON.stringify(marker)}, 'pwned')`;
  write(join(root, 'package.json'), JSON.stringify({ name: 'attack-app', type: 'module' }));
  write(
    join(root, 'tasks.mjs'),
    `import { task } from ${core};\n` +
      'export const double = task(import.meta.url, function double(x) { return x * 2; });\n' +
      'export const nap = task(import.meta.url, async function nap(ms) { await new Promise((r) => setTimeout(r, ms)); return ms; });\n' +
      'export const failAt = task(import.meta.url, function failAt(x, at) { if (x === at) throw new TypeError("bad " + x); return x; });\n' +
      `export async function plainExport() { ${pwn}; }\n`,
  );
  // an installed package whose plain export runs anything it is given
  write(join(root, 'node_modules/evil/package.json'), JSON.stringify({ name: 'evil', type: 'module' }));
  write(join(root, 'node_modules/evil/index.js'), `export async function run() { ${pwn}; }\n`);
  // a task module outside the project, reachable only through symlinks
  write(
    join(outside, 'secret.mjs'),
    `import { task } from ${core};\nexport const secret = task(import.meta.url, async function secret() { ${pwn}; });\n`,
  );
  symlinkSync(join(outside, 'secret.mjs'), join(root, 'leak.mjs'));
  // the conformance tasks, as a workspace would install them (a symlinked package)
  mkdirSync(join(root, 'node_modules/@parajob'), { recursive: true });
  symlinkSync(CORE_DIR, join(root, 'node_modules/@parajob/core'));
  return { root, outside, marker, remove: () => rmSync(base, { recursive: true, force: true }) };
}

export const pwned = (project: AttackProject) => existsSync(project.marker);

/** A hand-made wire batch calling `fns[0]` once per argument list. */
export function wireBatch(fns: WireFunction[], args: unknown[][], extra: Partial<WireBatch> = {}): WireBatch {
  return {
    v: 1,
    call: `attack-${nuid.next()}`,
    first: 0,
    fns,
    fnOf: null,
    size: args.length,
    args,
    columnar: false,
    nested: null,
    depth: 0,
    settle: false,
    ...extra,
  };
}

/** What a worker answered to a batch, the same shape for both adapters. */
export interface Answer {
  readonly values: unknown[];
  readonly error?: {
    readonly pos: number;
    readonly message: string;
    readonly props: Record<string, unknown>;
  };
}

interface SerializedLike {
  readonly message?: string;
  readonly props?: Record<string, unknown>;
}

function answerOf(result: {
  values: ArrayLike<unknown>;
  error?: { pos: number; error: SerializedLike };
}): Answer {
  const values = Array.from(result.values);
  if (result.error === undefined) return { values };
  const { pos, error } = result.error;
  return { values, error: { pos, message: String(error.message), props: error.props ?? {} } };
}

/** A running worker process of either adapter, and a raw line to it. */
export interface AttackTarget {
  readonly kind: 'grpc' | 'nats';
  readonly child: ChildProcess;
  stderr(): string;
  /** Sends a batch (a WireBatch or any bytes); resolves with the answer. */
  send(payload: WireBatch | Buffer): Promise<Answer>;
  alive(): boolean;
  stop(): Promise<void>;
}

function spawnWorker(
  args: string[],
  cwd: string,
  ready: RegExp,
): Promise<{ child: ChildProcess; match: RegExpExecArray; stderr: () => string }> {
  const child = spawn(process.execPath, [CLI, 'worker', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const match = ready.exec(out);
      if (match) resolve({ child, match, stderr: () => err });
    });
    child.once('exit', (code) =>
      reject(new Error(`worker ${args[0]} exited (${code}) before it was ready:\n${err}`)),
    );
  });
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

// ---- gRPC: a raw Session stream ----

interface RawResult {
  id: number;
  payload?: Buffer;
  failure?: Buffer;
  cancelled?: boolean;
}

let grpcClient: grpc.ServiceClientConstructor | undefined;

function grpcClientClass(): grpc.ServiceClientConstructor {
  if (grpcClient === undefined) {
    const definition = protoLoader.loadSync(PROTO_PATH, {
      keepCase: false,
      longs: Number,
      defaults: true,
      oneofs: false,
    });
    const pkg = grpc.loadPackageDefinition(definition) as unknown as {
      parajob: { v1: { Worker: grpc.ServiceClientConstructor } };
    };
    grpcClient = pkg.parajob.v1.Worker;
  }
  return grpcClient;
}

/** One raw Session: send batches by id, read results, count the credit granted. */
export class RawGrpcSession {
  credits = 0;
  private readonly client: grpc.Client;
  private readonly stream: grpc.ClientDuplexStream<
    unknown,
    { credit?: { slots: number }; result?: RawResult }
  >;
  /** Waiters per batch id, first come first served (a duplicate id gets two answers). */
  private readonly waiting = new Map<number, Array<(r: RawResult) => void>>();
  private nextId = 1;

  constructor(address: string) {
    const Client = grpcClientClass();
    this.client = new Client(address, grpc.credentials.createInsecure());
    this.stream = (this.client as unknown as { Session(): RawGrpcSession['stream'] }).Session();
    this.stream.on('data', (m) => {
      if (m.credit) this.credits += m.credit.slots;
      if (m.result) this.waiting.get(Number(m.result.id))?.shift()?.(m.result);
    });
    this.stream.on('error', () => {});
  }

  /** Writes a batch with this id (or the next one) and resolves with the worker's raw answer. */
  request(payload: Buffer | undefined, id = this.nextId++, timeoutMs = 0): Promise<RawResult> {
    return new Promise((resolve) => {
      const queue = this.waiting.get(id) ?? [];
      queue.push(resolve);
      this.waiting.set(id, queue);
      this.stream.write({ batch: { id, payload, timeoutMs } });
    });
  }

  write(message: unknown): void {
    this.stream.write(message);
  }

  close(): void {
    this.stream.cancel();
    this.client.close();
  }
}

export function decodeGrpcAnswer(r: RawResult): Answer {
  if (r.failure && r.failure.length > 0) {
    const error = v8.deserialize(r.failure) as SerializedLike;
    return { values: [], error: { pos: 0, message: String(error.message), props: error.props ?? {} } };
  }
  return answerOf(v8.deserialize(r.payload ?? Buffer.alloc(0)));
}

export async function startGrpcTarget(
  project: AttackProject,
  extra: string[] = [],
): Promise<AttackTarget & { address: string }> {
  const { child, match, stderr } = await spawnWorker(
    ['grpc', '--listen', '127.0.0.1:0', '--concurrency', '1', ...extra],
    project.root,
    /listening on (\S+)/,
  );
  const address = match[1]!;
  const session = new RawGrpcSession(address);
  return {
    kind: 'grpc',
    address,
    child,
    stderr,
    send: async (payload) =>
      decodeGrpcAnswer(await session.request(Buffer.isBuffer(payload) ? payload : v8.serialize(payload))),
    alive: () => child.exitCode === null && child.signalCode === null,
    stop: async () => {
      session.close();
      await kill(child);
    },
  };
}

// ---- NATS: raw messages on the work subject ----

export class RawNats {
  private constructor(
    readonly nc: NatsConnection,
    readonly namespace: string,
  ) {}

  static async connect(url: string, namespace: string): Promise<RawNats> {
    return new RawNats(await natsConnect({ servers: url }), namespace);
  }

  /** Publishes on the work subject with these headers; resolves with the body of the first answer on `reply`. */
  async publish(
    body: Uint8Array,
    headers: Record<string, string> | null,
    replyCall?: string,
  ): Promise<Answer | { kind: string }> {
    const call = replyCall ?? `attack-${nuid.next()}`;
    const sub = this.nc.subscribe(`parajob.${this.namespace}.results.${call}`, { max: 1 });
    let h: ReturnType<typeof natsHeaders> | undefined;
    if (headers !== null) {
      h = natsHeaders();
      for (const [k, v] of Object.entries(headers)) h.set(k, v);
    }
    this.nc.publish(`parajob.${this.namespace}.tasks.${call}`, body, { headers: h });
    for await (const m of sub) {
      const answer = v8.deserialize(m.data) as { kind: string; result?: Parameters<typeof answerOf>[0] };
      return answer.kind === 'result' ? answerOf(answer.result!) : answer;
    }
    throw new Error('the answer subscription closed');
  }

  /** Publishes without waiting for any answer (for messages the worker must drop). */
  fire(
    body: Uint8Array,
    headers: Record<string, string> | null,
    subjectCall = `attack-${nuid.next()}`,
  ): void {
    let h: ReturnType<typeof natsHeaders> | undefined;
    if (headers !== null) {
      h = natsHeaders();
      for (const [k, v] of Object.entries(headers)) h.set(k, v);
    }
    this.nc.publish(`parajob.${this.namespace}.tasks.${subjectCall}`, body, { headers: h });
  }

  /** The headers a driver would send for a batch of `call`. */
  headersFor(call: string, batch = `${call}.0`): Record<string, string> {
    return {
      'Parajob-Batch': batch,
      'Parajob-Call': call,
      'Parajob-Reply': `parajob.${this.namespace}.results.${call}`,
    };
  }

  close(): Promise<void> {
    return this.nc.close();
  }
}

export async function startNatsTarget(
  project: AttackProject,
  url: string,
  namespace: string,
  extra: string[] = [],
): Promise<AttackTarget & { raw: RawNats }> {
  const { child, stderr } = await spawnWorker(
    ['nats', '--servers', url, '--namespace', namespace, '--concurrency', '1', ...extra],
    project.root,
    /ready \(/,
  );
  const raw = await RawNats.connect(url, namespace);
  return {
    kind: 'nats',
    child,
    raw,
    stderr,
    send: async (payload) => {
      const call = `attack-${nuid.next()}`;
      const body = Buffer.isBuffer(payload) ? payload : v8.serialize({ wire: payload, timeout: null });
      const answer = await raw.publish(body, raw.headersFor(call), call);
      if (!('values' in answer)) throw new Error(`unexpected answer ${JSON.stringify(answer)}`);
      return answer;
    },
    alive: () => child.exitCode === null && child.signalCode === null,
    stop: async () => {
      await raw.close();
      await kill(child);
    },
  };
}
