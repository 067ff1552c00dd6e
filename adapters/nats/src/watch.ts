/**
 * Watching a namespace from the outside (what `parajob dashboard --servers` shows): the workers
 * of the capacity registry, the task queue's depth, and every batch sent and answered, seen by a
 * plain subscription to the namespace's task and result subjects (JetStream publishes are also
 * ordinary messages). Read-only: it creates nothing but what any driver or worker would, and
 * never consumes from the queue.
 */

import { jetstreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { deserializeError } from '@parajob/core/backend';
import { unpack } from './codec.js';
import { type NatsConnectionOptions, openConnection } from './connection.js';
import { H, type Names, namesFor } from './names.js';
import { openRegistry, parseWorkerRecord } from './resources.js';
import type { ResultBody, TaskBody } from './result.js';

export interface WatchedWorker {
  readonly id: string;
  readonly host: string;
  readonly pid: number;
  readonly version: string;
  readonly capacity: number;
  /** Batches running at its last heartbeat (every 2 s), null from a worker that does not say. */
  readonly running: number | null;
}

/** What the watcher reports; `call` is the call's subject suffix (session and call ids). */
export interface NamespaceListener {
  /** `first`/`size` null when the body was too large to read here (it went through the blob store). */
  batchSent(call: string, batchId: string, first: number | null, size: number | null, at: number): void;
  /**
   * `error` (a deserialized Error with `taskIndex` when known) undefined when the batch succeeded;
   * `failedTasks` counts settled failures.
   */
  batchAnswered(
    call: string,
    batchId: string,
    at: number,
    answer: {
      readonly error?: Error;
      readonly failedTasks: readonly Error[];
      readonly worker: string | null;
    },
  ): void;
}

export interface NamespaceWatch {
  readonly namespace: string;
  workers(): Promise<WatchedWorker[]>;
  /** Batches waiting in the queue, and batches delivered to workers and not yet acknowledged. */
  queue(): Promise<{ readonly waiting: number; readonly running: number }>;
  close(): Promise<void>;
}

function suffix(subject: string, kind: 'tasks' | 'results', names: Names): string {
  return subject.slice(`parajob.${names.namespace}.${kind}.`.length);
}

function read<T>(m: Msg): T | undefined {
  if (m.headers?.get(H.blob) || m.data.byteLength === 0) return undefined;
  try {
    return unpack<T>(m.data);
  } catch {
    return undefined;
  }
}

export async function watchNamespace(
  options: NatsConnectionOptions,
  listener: NamespaceListener,
): Promise<NamespaceWatch> {
  const names = namesFor(options.namespace);
  const nc: NatsConnection = await openConnection(options, 'parajob dashboard');
  const firsts = new Map<string, number>();
  const subs: Subscription[] = [];
  subs.push(
    nc.subscribe(names.allTasks, {
      callback: (error, m) => {
        const batchId = m?.headers?.get(H.batch);
        if (error || !batchId) return;
        const body = read<TaskBody>(m);
        const wire = body?.wire;
        if (wire) firsts.set(batchId, wire.first);
        listener.batchSent(
          suffix(m.subject, 'tasks', names),
          batchId,
          wire?.first ?? null,
          wire?.size ?? null,
          Date.now(),
        );
      },
    }),
    nc.subscribe(names.allResults, {
      callback: (error, m) => {
        const batchId = m?.headers?.get(H.batch);
        if (error || !batchId) return;
        const first = firsts.get(batchId) ?? 0;
        firsts.delete(batchId);
        const body = read<ResultBody>(m);
        const worker = m.headers?.get(H.worker) || null;
        const withIndex = (e: Error, pos: number) => Object.assign(e, { taskIndex: first + pos, worker });
        let answerError: Error | undefined;
        const failedTasks: Error[] = [];
        if (body?.kind === 'result') {
          const r = body.result;
          if (r.error) answerError = withIndex(deserializeError(r.error.error) as Error, r.error.pos);
          for (const [pos, e] of r.errors ?? [])
            failedTasks.push(withIndex(deserializeError(e) as Error, pos));
        } else if (body?.kind === 'crashed') {
          answerError = Object.assign(new Error(`the batch's workers died ${body.attempts} times`), {
            name: 'WorkerCrashedError',
            taskIndex: first,
          });
        }
        listener.batchAnswered(suffix(m.subject, 'results', names), batchId, Date.now(), {
          error: answerError,
          failedTasks,
          worker,
        });
      },
    }),
  );
  const jsm = await jetstreamManager(nc);
  let registry: Promise<KV> | undefined;
  return {
    namespace: names.namespace,
    async workers() {
      registry ??= openRegistry(nc, names);
      const kv = await registry;
      const out: WatchedWorker[] = [];
      const keys: string[] = [];
      for await (const k of await kv.keys('w.>')) keys.push(k);
      for (const key of keys) {
        const entry = await kv.get(key).catch(() => null);
        if (entry?.operation !== 'PUT') continue;
        let record: ReturnType<typeof parseWorkerRecord> = null;
        try {
          record = parseWorkerRecord(entry.json());
        } catch {
          record = null;
        }
        if (record) out.push({ id: key.slice(2), ...record, running: record.running ?? null });
      }
      return out;
    },
    async queue() {
      const info = await jsm.consumers.info(names.tasksStream, names.consumer).catch(() => null);
      return { waiting: info?.num_pending ?? 0, running: info?.num_ack_pending ?? 0 };
    },
    async close() {
      for (const s of subs) s.unsubscribe();
      await nc.drain().catch(() => nc.close());
    },
  };
}
