/**
 * Creates (or reuses) what the protocol needs on the server, idempotently, from whichever side
 * starts first: the task work-queue stream, its one shared durable pull consumer, the results
 * stream, the worker registry (KV) and the blob store (object store). Everything on file storage.
 * The driver-session records live in liveness.ts.
 */
import {
  AckPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import { type ObjectStore, Objm } from '@nats-io/obj';
import { type NatsConnection, nanos } from '@nats-io/transport-node';
import type { Names } from './names.js';
import { needsProblem } from './needs.js';

/** Registry entries expire this long after a worker's last heartbeat. */
export const REGISTRY_TTL_MS = 6_000;
export const HEARTBEAT_MS = 2_000;
export const DEFAULT_ACK_WAIT_MS = 30_000;
export const DEFAULT_MAX_ATTEMPTS = 3;
/**
 * Deliveries of a batch that are not attempts, allowed on top of them: a batch still running on a
 * live worker is delivered again after each nats-server restart (worker-redelivery.ts). The
 * consumer's max deliveries is only a safety net; workers count the attempts.
 */
export const UNCOUNTED_DELIVERIES = 20;
const DUPLICATE_WINDOW_MS = 10 * 60_000;
const RESULT_MAX_AGE_MS = 60 * 60_000;

export interface ConsumerSettings {
  /** A batch not acked (nor heartbeated) for this long is redelivered to another worker. */
  readonly ackWaitMs?: number;
  /** Attempts at a batch (deliveries whose worker vanished with it) before it fails the call with WorkerCrashedError. */
  readonly maxAttempts?: number;
}

const isAlreadyThere = (error: unknown) =>
  /already in use|already exists/i.test(String((error as Error)?.message));

const isNotFound = (error: unknown) =>
  error instanceof JetStreamApiError && error.code === JetStreamApiCodes.ConsumerNotFound;

async function ensureStream(
  jsm: JetStreamManager,
  config: Parameters<JetStreamManager['streams']['add']>[0],
): Promise<void> {
  try {
    await jsm.streams.add(config);
  } catch (error) {
    // same name, other settings (e.g. an older deployment): use what is there
    if (!isAlreadyThere(error)) throw error;
  }
}

/**
 * Who may change the shared consumer's settings (ack wait, max deliveries): they belong to the
 * cluster. Whoever creates the consumer first sets them (its explicit settings, else the
 * defaults). After that only a worker started with an explicit `--ack-wait` (or `maxAttempts`)
 * updates them, as an operator deploying workers would; a driver never does, whatever it passes,
 * so a client connecting with default options cannot change the cluster's retry timing. A worker
 * also gives a consumer created by an older version room for the deliveries that are not attempts.
 */
export type SettingsOwner = 'worker' | 'driver';

export async function ensureQueues(
  jsm: JetStreamManager,
  names: Names,
  settings: ConsumerSettings,
  role: SettingsOwner,
): Promise<void> {
  await ensureStream(jsm, {
    name: names.tasksStream,
    subjects: [names.allTasks],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
  });
  await ensureStream(jsm, {
    name: names.resultsStream,
    subjects: [names.allResults],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: nanos(RESULT_MAX_AGE_MS),
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
  });
  const wanted = {
    ack_wait: nanos(settings.ackWaitMs ?? DEFAULT_ACK_WAIT_MS),
    // one delivery more than the attempts, where a worker reports the poison batch, and room for
    // the deliveries that are not attempts (a batch running through server restarts)
    max_deliver: (settings.maxAttempts ?? DEFAULT_MAX_ATTEMPTS) + 1 + UNCOUNTED_DELIVERIES,
  };
  // Look before creating: on nats-server 2.9 a create with other settings silently updates an
  // existing durable consumer, which is how a default client used to reset the cluster's ack wait.
  const existing = await jsm.consumers.info(names.tasksStream, names.consumer).catch((error) => {
    if (isNotFound(error)) return null;
    throw error;
  });
  if (existing === null) {
    try {
      await jsm.consumers.add(names.tasksStream, {
        durable_name: names.consumer,
        ack_policy: AckPolicy.Explicit,
        max_ack_pending: -1,
        max_waiting: 4096,
        ...wanted,
      });
      return;
    } catch (error) {
      if (!isAlreadyThere(error)) throw error;
    }
  }
  if (role !== 'worker') return;
  const info = existing ?? (await jsm.consumers.info(names.tasksStream, names.consumer));
  const current = info.config.max_deliver ?? -1;
  // an older version's consumer (maxAttempts + 1) leaves no room for the deliveries that are not
  // attempts: a worker gives it that room, once (every consumer created since has at least this)
  const dated = current > 0 && current < UNCOUNTED_DELIVERIES + 2;
  const update = {
    ...(settings.ackWaitMs !== undefined ? { ack_wait: wanted.ack_wait } : {}),
    ...(settings.maxAttempts !== undefined
      ? { max_deliver: wanted.max_deliver }
      : dated
        ? { max_deliver: current + UNCOUNTED_DELIVERIES }
        : {}),
  };
  if (
    (update.ack_wait !== undefined && update.ack_wait !== info.config.ack_wait) ||
    (update.max_deliver !== undefined && update.max_deliver !== info.config.max_deliver)
  ) {
    await jsm.consumers.update(names.tasksStream, names.consumer, update);
  }
}

export function openRegistry(nc: NatsConnection, names: Names): Promise<KV> {
  return new Kvm(nc).create(names.registry, { ttl: REGISTRY_TTL_MS, history: 1, storage: StorageType.File });
}

export function openBlobs(nc: NatsConnection, names: Names): Promise<ObjectStore> {
  return new Objm(nc).create(names.blobs, { storage: StorageType.File, ttl: nanos(RESULT_MAX_AGE_MS) });
}

/** More slots than one worker process can have: an entry claiming more is not a parajob worker. */
const MAX_WORKER_CAPACITY = 65_536;

/** A registry entry, validated: null for anything that is not a parajob worker's record. */
export function parseWorkerRecord(value: unknown): WorkerRecord | null {
  if (typeof value !== 'object' || value === null) return null;
  const r = value as Record<string, unknown>;
  const { capacity, pid, host, version } = r;
  if (!Number.isInteger(capacity) || (capacity as number) < 1 || (capacity as number) > MAX_WORKER_CAPACITY)
    return null;
  if (!Number.isInteger(pid) || typeof host !== 'string' || typeof version !== 'string') return null;
  const running =
    Number.isInteger(r.running) && (r.running as number) >= 0 ? (r.running as number) : undefined;
  const resources = validResources(r.resources);
  return {
    capacity: capacity as number,
    pid: pid as number,
    host,
    version,
    ...(running === undefined ? {} : { running }),
    ...(resources === undefined ? {} : { resources }),
  };
}

/**
 * Live capacity: the sum of `capacity` over registered (not expired) workers. Entries that are
 * not a worker's record (foreign, corrupt, hand-made) are ignored, so they can neither add
 * capacity nor break a driver; `onForeign` hears their keys.
 */
export async function readCapacity(kv: KV, onForeign: (key: string) => void = () => {}): Promise<number> {
  let total = 0;
  const keys: string[] = [];
  for await (const k of await kv.keys('w.>')) keys.push(k);
  for (const k of keys) {
    const entry = await kv.get(k).catch(() => null);
    if (entry?.operation !== 'PUT') continue;
    let record: WorkerRecord | null = null;
    try {
      record = parseWorkerRecord(entry.json());
    } catch {
      record = null;
    }
    if (record === null) onForeign(k);
    else total += record.capacity;
  }
  return total;
}

/** A record's custom resources when they are a valid table (needs.ts); anything else is ignored. */
function validResources(value: unknown): Readonly<Record<string, number>> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const table = value as Record<string, number>;
  return needsProblem(table) === undefined && !('CPU' in table) ? { ...table } : undefined;
}

/** Every registered worker's record (foreign entries skipped): what the client matches resources against. */
export async function readWorkers(kv: KV): Promise<WorkerRecord[]> {
  const keys: string[] = [];
  for await (const k of await kv.keys('w.>')) keys.push(k);
  const records: WorkerRecord[] = [];
  for (const k of keys) {
    const entry = await kv.get(k).catch(() => null);
    if (entry?.operation !== 'PUT') continue;
    try {
      const record = parseWorkerRecord(entry.json());
      if (record !== null) records.push(record);
    } catch {
      // not JSON: not a worker's record
    }
  }
  return records;
}

export interface WorkerRecord {
  readonly capacity: number;
  readonly pid: number;
  readonly host: string;
  readonly version: string;
  /** Batches running at the last heartbeat (absent from older workers). */
  readonly running?: number;
  /** Custom resources it declares (`--resources`), absent when none. */
  readonly resources?: Readonly<Record<string, number>>;
}
