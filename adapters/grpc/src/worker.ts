/**
 * The worker server (`parajob worker grpc`): Hello tells a driver this worker's capacity and
 * limits; each Session is a WorkerSession. Batches run on a RemoteExecutor under a WorkerPolicy
 * (deny by default, @parajob/remote); the Lifecycle admits batches while serving and, on close(),
 * lets running ones finish within the grace period before handing the rest back.
 */
import * as grpc from '@grpc/grpc-js';
import { cpuCount } from '@parajob/core/backend';
import {
  checkWorkerLimits,
  DEFAULT_SHUTDOWN_GRACE_MS,
  Lifecycle,
  MAX_CONCURRENCY,
  RemoteExecutor,
  WorkerPolicy,
} from '@parajob/remote';
import { DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_SESSIONS, ENVELOPE_BYTES } from './limits.js';
import { bindTarget, isLoopback, parseListen } from './listen.js';
import { messages } from './messages.js';
import {
  type HelloReply,
  type HelloRequest,
  PACKAGE_VERSION,
  PROTOCOL_VERSION,
  workerService,
} from './proto.js';
import { serverCredentials, type WorkerTls } from './tls.js';
import { type SessionCall, type SessionHost, WorkerSession } from './worker-session.js';

export interface GrpcWorkerOptions {
  /** PORT or HOST:PORT; a bare port listens on 127.0.0.1. Default 127.0.0.1:50051; port 0 picks a free port. */
  listen?: string | number;
  /** Batches run at once, in a local worker-threads pool; default: every CPU (cpuCount()). */
  concurrency?: number;
  /** Where wire module names are resolved; default: the nearest package.json above the working directory. */
  root?: string;
  /** `--allow` entries: '.' (the project under root), package names or patterns ('@acme/*'). Default: ['.']. */
  allow?: readonly string[];
  /** Run functions shipped as source (arbitrary code from any driver that can connect). Default false. */
  allowSource?: boolean;
  /** TLS: this worker's certificate and key; `ca` verifies client certificates, required with `requireClientCert`. */
  tls?: WorkerTls;
  /** Largest batch received or result sent; default 64 MiB. */
  maxMessageBytes?: number;
  /** Sessions (driver streams) served at once; one more is refused (UNAVAILABLE, naming --max-sessions). Default 256. */
  maxSessions?: number;
  /** On close(), how long running batches may finish before they are handed back. Default 10 000 ms. */
  shutdownGraceMs?: number;
  /** A pool thread that has run this many tasks is replaced after its batch (never mid-task). Default: never. */
  maxTasksPerWorker?: number;
  /** Heap limit of each pool thread, in MB (a task over it fails with OUT_OF_MEMORY; a thread near it is replaced). Default: none. */
  maxMemoryPerWorker?: number;
  /** How long an idle pool thread is kept, in ms. Default 30 000. */
  idleTimeout?: number;
  /** Where the worker reports (default: stderr). */
  log?: (message: string) => void;
}

export interface GrpcWorker {
  /** host:port actually bound (port 0 resolved). */
  readonly address: string;
  readonly port: number;
  readonly capacity: number;
  /** Stops taking batches, finishes (or hands back after the grace period) the ones it holds, then stops. */
  close(): Promise<void>;
}

export async function startGrpcWorker(options: GrpcWorkerOptions = {}): Promise<GrpcWorker> {
  const listen = parseListen(options.listen ?? '127.0.0.1:50051');
  const concurrency = options.concurrency ?? cpuCount();
  // bounded: it is also the credit every session is granted
  if (!Number.isSafeInteger(concurrency) || concurrency < 1 || concurrency > MAX_CONCURRENCY)
    throw new RangeError(messages.worker.concurrency(String(options.concurrency), MAX_CONCURRENCY));
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  if (!Number.isSafeInteger(maxMessageBytes) || maxMessageBytes < 1)
    throw new RangeError(messages.worker.maxMessageBytes(String(maxMessageBytes)));
  const maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
  if (!Number.isSafeInteger(maxSessions) || maxSessions < 1)
    throw new RangeError(messages.worker.maxSessions(String(maxSessions)));
  const limits = checkWorkerLimits(options);
  const credentials = serverCredentials(options.tls);
  const policy = new WorkerPolicy({
    root: options.root,
    allow: options.allow,
    allowSource: options.allowSource,
  });
  const server = new GrpcWorkerServer(
    {
      executor: new RemoteExecutor(concurrency, policy, limits),
      lifecycle: new Lifecycle(),
      concurrency,
      maxMessageBytes,
    },
    maxSessions,
    policy,
    options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS,
  );
  const address = await server.listen(bindTarget(listen), credentials, listen.host);
  const log = options.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  if (!isLoopback(listen.host)) log(messages.worker.notLoopback(address));
  return {
    address,
    port: Number(address.slice(address.lastIndexOf(':') + 1)),
    capacity: concurrency,
    close: () => server.close(),
  };
}

/** The gRPC server: Hello, Session, and the worker's lifecycle around them. */
class GrpcWorkerServer {
  private readonly sessions = new Set<WorkerSession>();
  private readonly server: grpc.Server;
  private address = '';
  private closing: Promise<void> | undefined;

  constructor(
    private readonly host: SessionHost,
    private readonly maxSessions: number,
    private readonly policy: WorkerPolicy,
    private readonly graceMs: number,
  ) {
    const limit = host.maxMessageBytes + ENVELOPE_BYTES;
    this.server = new grpc.Server({
      'grpc.max_receive_message_length': limit,
      'grpc.max_send_message_length': limit,
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.keepalive_permit_without_calls': 1,
    });
    this.server.addService(workerService().service, {
      Hello: (
        call: grpc.ServerUnaryCall<HelloRequest, HelloReply>,
        callback: grpc.sendUnaryData<HelloReply>,
      ) => this.hello(call.request, callback),
      Session: (call: SessionCall) => this.session(call),
    });
  }

  /** Starts the pool and binds; on failure everything started is closed again. */
  async listen(target: string, credentials: grpc.ServerCredentials, host: string): Promise<string> {
    try {
      await this.host.executor.start();
      const port = await new Promise<number>((resolve, reject) => {
        this.server.bindAsync(target, credentials, (error, bound) =>
          error ? reject(new Error(messages.worker.bind(target, error.message))) : resolve(bound),
        );
      });
      this.address = bindTarget({ host, port });
      this.host.lifecycle.serve();
      return this.address;
    } catch (error) {
      this.host.lifecycle.stopped();
      this.server.forceShutdown();
      await this.host.executor.close();
      throw error;
    }
  }

  private hello(request: HelloRequest, callback: grpc.sendUnaryData<HelloReply>): void {
    if (this.host.lifecycle.state !== 'serving') {
      callback({ code: grpc.status.UNAVAILABLE, details: messages.worker.shuttingDown() });
      return;
    }
    if (request.protocol !== PROTOCOL_VERSION) {
      callback({
        code: grpc.status.FAILED_PRECONDITION,
        details: messages.worker.protocol(request.protocol, PROTOCOL_VERSION),
      });
      return;
    }
    callback(null, {
      protocol: PROTOCOL_VERSION,
      version: PACKAGE_VERSION,
      capacity: this.host.concurrency,
      allowedModules: [...this.policy.allow.entries],
      allowSource: this.policy.allowSource,
      maxMessageBytes: this.host.maxMessageBytes,
      workerId: this.address,
    });
  }

  private session(call: SessionCall): void {
    if (this.host.lifecycle.state !== 'serving') {
      call.emit('error', { code: grpc.status.UNAVAILABLE, details: messages.worker.shuttingDown() });
      return;
    }
    // a stream error after the session ended must not become an uncaught 'error' event
    call.on('error', () => {});
    // every session may hold --concurrency batches: without a bound, streams alone could fill memory.
    // UNAVAILABLE, not RESOURCE_EXHAUSTED: drivers read the latter as "a message over the limit"
    if (this.sessions.size >= this.maxSessions) {
      call.emit('error', {
        code: grpc.status.UNAVAILABLE,
        details: messages.worker.tooManySessions(this.maxSessions),
      });
      return;
    }
    this.sessions.add(new WorkerSession(call, this.host, (s) => this.sessions.delete(s)));
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.host.lifecycle.drain(this.graceMs, () => {
        for (const session of this.sessions) session.handBack();
      });
      for (const session of [...this.sessions]) session.end();
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          this.server.forceShutdown();
          resolve();
        }, 2000);
        this.server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      await this.host.executor.close();
      this.host.lifecycle.stopped();
    })();
    return this.closing;
  }
}
