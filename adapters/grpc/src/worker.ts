/**
 * The worker server (`parajob worker grpc`): serves Hello and Session, runs received batches in
 * a local worker-threads pool, grants one credit per free slot, and on close() finishes the
 * batches it holds before it stops.
 */
import v8 from 'node:v8';
import * as grpc from '@grpc/grpc-js';
import {
  cpuCount,
  explainUnsendableResult,
  type SerializedError,
  serializeError,
  type WireBatch,
  type WireResult,
} from '@parajob/core/backend';
import { ModulePolicy } from './allow.js';
import { DEFAULT_MAX_MESSAGE_BYTES, ENVELOPE_BYTES } from './limits.js';
import { bindTarget, isLoopback, parseListen } from './listen.js';
import { LocalPool } from './local-pool.js';
import { messages } from './messages.js';
import { nearestPackageDir } from './module-ref.js';
import {
  type DriverMessage,
  type HelloReply,
  type HelloRequest,
  PACKAGE_VERSION,
  PROTOCOL_VERSION,
  type ResultMessage,
  type WorkerMessage,
  workerService,
} from './proto.js';
import { serverCredentials, type WorkerTls } from './tls.js';

export interface GrpcWorkerOptions {
  /** PORT or HOST:PORT; a bare port listens on 127.0.0.1. Default 127.0.0.1:50051; port 0 picks a free port. */
  listen?: string | number;
  /** Batches run at once, in a local worker-threads pool; default: every CPU (cpuCount()). */
  concurrency?: number;
  /** Where wire module names are resolved; default: the nearest package.json above the working directory. */
  root?: string;
  /** Module patterns this worker imports (`./src/**`, `@acme/tasks`); default: the project under root (`./**`). */
  allow?: readonly string[];
  /** Run functions shipped as source (arbitrary code from any driver that can connect). Default false. */
  allowSource?: boolean;
  /** TLS: the worker's certificate and key; with `ca`, client certificates signed by it are required (mTLS). */
  tls?: WorkerTls;
  /** Largest batch received or result sent; default 64 MiB. */
  maxMessageBytes?: number;
  /** Where the worker reports (default: stderr). */
  log?: (message: string) => void;
}

export interface GrpcWorker {
  /** host:port actually bound (port 0 resolved). */
  readonly address: string;
  readonly port: number;
  readonly capacity: number;
  /** Stops granting credit, finishes the batches it holds, answers them, then stops. */
  close(): Promise<void>;
}

type Session = grpc.ServerDuplexStream<DriverMessage, WorkerMessage>;

export async function startGrpcWorker(options: GrpcWorkerOptions = {}): Promise<GrpcWorker> {
  const listen = parseListen(options.listen ?? '127.0.0.1:50051');
  const concurrency = options.concurrency ?? cpuCount();
  if (!Number.isSafeInteger(concurrency) || concurrency < 1)
    throw new RangeError(messages.worker.concurrency(String(options.concurrency)));
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  if (!Number.isSafeInteger(maxMessageBytes) || maxMessageBytes < 1)
    throw new RangeError(messages.worker.maxMessageBytes(String(maxMessageBytes)));
  const log = options.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const root = options.root ?? nearestPackageDir(process.cwd()) ?? process.cwd();
  const policy = new ModulePolicy({
    root,
    allow: options.allow ?? [],
    allowSource: options.allowSource ?? false,
  });
  const pool = new LocalPool(concurrency, policy);
  await pool.start();

  const sessions = new Set<Session>();
  let running = 0;
  let draining = false;
  let drained: (() => void) | undefined;
  let address = '';

  const hello: grpc.handleUnaryCall<HelloRequest, HelloReply> = (call, callback) => {
    if (draining) return callback({ code: grpc.status.UNAVAILABLE, details: 'the worker is shutting down' });
    if (call.request.protocol !== PROTOCOL_VERSION) {
      return callback({
        code: grpc.status.FAILED_PRECONDITION,
        details: messages.worker.protocol(call.request.protocol, PROTOCOL_VERSION),
      });
    }
    callback(null, {
      protocol: PROTOCOL_VERSION,
      version: PACKAGE_VERSION,
      capacity: concurrency,
      allowedModules: [...policy.allow],
      allowSource: policy.allowSource,
      maxMessageBytes,
      workerId: address,
    });
  };

  const session = (call: Session) => {
    if (draining) {
      call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'the worker is shutting down' });
      return;
    }
    sessions.add(call);
    const batches = new Map<number, AbortController>();
    let open = true;
    const send = (message: WorkerMessage) => {
      if (open) call.write(message);
    };
    const finish = () => {
      if (!open) return;
      open = false;
      sessions.delete(call);
      for (const controller of batches.values()) controller.abort();
    };
    call.on('cancelled', finish);
    call.on('error', finish);
    call.on('close', finish);
    // the driver half-closed the session: answer what still runs, then close our side
    let driverDone = false;
    const endIfDone = () => {
      if (!driverDone || batches.size > 0 || !open) return;
      call.end();
      finish();
    };
    call.on('end', () => {
      driverDone = true;
      endIfDone();
    });
    call.on('data', (message: DriverMessage) => {
      if (message.cancel) {
        for (const id of message.cancel.batchIds) batches.get(Number(id))?.abort();
        return;
      }
      const batch = message.batch;
      if (!batch) return;
      const id = Number(batch.id);
      const controller = new AbortController();
      batches.set(id, controller);
      running++;
      void runOne(batch.payload, Number(batch.timeoutMs), controller.signal)
        .then((answer) => {
          if (controller.signal.aborted) send({ result: { id, cancelled: true } });
          else send({ result: { id, ...answer } });
        })
        .finally(() => {
          batches.delete(id);
          running--;
          if (!draining) send({ credit: { slots: 1 } });
          else if (running === 0) drained?.();
          endIfDone();
        });
    });
    send({ credit: { slots: concurrency } });
  };

  const runOne = async (
    payload: Buffer,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<Omit<ResultMessage, 'id'>> => {
    let wire: WireBatch;
    try {
      wire = v8.deserialize(payload) as WireBatch;
      if (wire === null || typeof wire !== 'object' || wire.v !== 1)
        throw new Error('not a parajob WireBatch v1');
    } catch (error) {
      return {
        failure: encodeFailure(
          serializeError(new Error(messages.worker.badPayload((error as Error).message))),
        ),
      };
    }
    const outcome = await pool.run(wire, { signal, timeout: timeoutMs > 0 ? timeoutMs : null });
    if (outcome.failure) return { failure: encodeFailure(outcome.failure) };
    const bytes = encodeResult(wire, outcome.result!);
    if (bytes.length > maxMessageBytes) {
      const last = wire.first + wire.size - 1;
      return {
        failure: encodeFailure(
          serializeError(
            new Error(messages.size.resultTooLarge(wire.first, last, bytes.length, maxMessageBytes)),
          ),
        ),
      };
    }
    return { payload: bytes };
  };

  const server = new grpc.Server({
    'grpc.max_receive_message_length': maxMessageBytes + ENVELOPE_BYTES,
    'grpc.max_send_message_length': maxMessageBytes + ENVELOPE_BYTES,
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.keepalive_permit_without_calls': 1,
  });
  server.addService(workerService().service, { Hello: hello, Session: session });
  const target = bindTarget(listen);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(target, serverCredentials(options.tls), (error, bound) =>
      error ? reject(new Error(messages.worker.bind(target, error.message))) : resolve(bound),
    );
  }).catch(async (error) => {
    await pool.close();
    throw error;
  });
  address = bindTarget({ host: listen.host, port });
  if (!isLoopback(listen.host)) log(messages.worker.notLoopback(address));

  let closing: Promise<void> | undefined;
  return {
    address,
    port,
    capacity: concurrency,
    close() {
      closing ??= (async () => {
        draining = true;
        if (running > 0) await new Promise<void>((resolve) => (drained = resolve));
        for (const call of sessions) call.end();
        sessions.clear();
        await new Promise<void>((resolve) => {
          const force = setTimeout(() => {
            server.forceShutdown();
            resolve();
          }, 2000);
          server.tryShutdown(() => {
            clearTimeout(force);
            resolve();
          });
        });
        await pool.close();
      })();
      return closing;
    },
  };
}

function encodeFailure(error: SerializedError): Buffer {
  try {
    return v8.serialize(error);
  } catch {
    return v8.serialize({ ...error, props: {}, value: undefined, cause: undefined });
  }
}

/** A result that cannot be cloned becomes a SerializationError naming the task and the path (`result.cb`). */
function encodeResult(wire: WireBatch, result: WireResult): Buffer {
  try {
    return v8.serialize(result);
  } catch (error) {
    return v8.serialize(explainUnsendableResult(wire, result, error));
  }
}
