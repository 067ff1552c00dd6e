/**
 * Which driver sessions are alive, and which of their calls were cancelled: what lets workers
 * skip work nobody waits for, without ever purging the shared task queue.
 *
 * Each driver session keeps one record, `s.<session>`, in the KV bucket `parajob_<ns>_drivers`:
 * put when the session opens (before its first batch), refreshed every DRIVER_HEARTBEAT_MS,
 * expiring DRIVER_TTL_MS after the last refresh (the bucket's max age), deleted when the session
 * closes. The record lists the session's cancelled calls. Before running a batch, a worker reads
 * the record of the batch's session: no record means the driver is gone (killed, or exited
 * without closing) and the batch is dropped; a listed call means the batch was cancelled.
 *
 * Why not purge: on nats-server 2.9 a purge with a subject filter moves the shared consumer past
 * every message below the purged ones, other drivers' batches included, which then stay in the
 * stream forever. Records expire by max age and are deleted with a tombstone, never purged.
 */

import { StorageType } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { Kvm } from '@nats-io/kv';
import type { MsgHdrs, NatsConnection } from '@nats-io/transport-node';
import { H, type Names } from './names.js';

/** A driver session whose record was not refreshed for this long is considered gone. */
export const DRIVER_TTL_MS = 10_000;
export const DRIVER_HEARTBEAT_MS = 2_000;
/** Cancelled calls a record lists (the most recent ones): a bound on the record's size. */
const MAX_CANCELLED = 512;
/** Session ids are nuids (22 letters and digits); anything else is not a session of this protocol. */
const SESSION_ID = /^[0-9A-Za-z]{22}$/;

interface SessionRecord {
  /** Call tokens (`<session>.<call>`) cancelled by the session. */
  readonly cancelled: readonly string[];
}

export function openDriverRecords(nc: NatsConnection, names: Names): Promise<KV> {
  return new Kvm(nc).create(names.drivers, {
    ttl: DRIVER_TTL_MS,
    history: 1,
    storage: StorageType.File,
  });
}

const keyOf = (session: string) => `s.${session}`;

/** The driver's side: keeps its session's record alive and lists its cancelled calls. */
export class SessionBeacon {
  private readonly cancelled: string[] = [];
  private readonly timer: NodeJS.Timeout;

  private constructor(
    private readonly kv: KV,
    private readonly session: string,
  ) {
    this.timer = setInterval(() => void this.refresh().catch(() => {}), DRIVER_HEARTBEAT_MS);
    // the session's connection keeps a process alive while it is needed, not this timer
    this.timer.unref();
  }

  /** Opens the bucket and puts the first record: batches published after this are never dropped as orphans. */
  static async start(nc: NatsConnection, names: Names, session: string): Promise<SessionBeacon> {
    const kv = await openDriverRecords(nc, names);
    const beacon = new SessionBeacon(kv, session);
    try {
      await beacon.refresh();
    } catch (error) {
      clearInterval(beacon.timer);
      throw error;
    }
    return beacon;
  }

  /** Puts the record (a heartbeat). */
  async refresh(): Promise<void> {
    const record: SessionRecord = { cancelled: this.cancelled };
    await this.kv.put(keyOf(this.session), JSON.stringify(record));
  }

  /** Lists a cancelled call at once, for workers that pull its queued batches later. */
  async cancel(token: string): Promise<void> {
    if (!this.cancelled.includes(token)) this.cancelled.push(token);
    if (this.cancelled.length > MAX_CANCELLED)
      this.cancelled.splice(0, this.cancelled.length - MAX_CANCELLED);
    await this.refresh();
  }

  /** Stops the heartbeats and removes the record (a tombstone, expiring with the bucket's max age). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.kv.delete(keyOf(this.session)).catch(() => {});
  }
}

export type Verdict = 'run' | 'gone' | 'cancelled';

/** How long a worker trusts a driver's record it read (see SessionCheck.recent). */
const RECORD_CACHE_MS = 500;

/** The worker's side: should a pulled batch run? */
export class SessionCheck {
  /**
   * Records read in the last RECORD_CACHE_MS, by session: a burst of small batches of one driver
   * costs one read, not one round trip each. A call cancelled meanwhile is still caught by the
   * cancel subject (RunningBatches) and by the driver, which drops a result it no longer waits for.
   */
  private readonly recent = new Map<string, { readonly at: number; readonly record: SessionRecord }>();

  constructor(private readonly kv: KV) {}

  static async open(nc: NatsConnection, names: Names): Promise<SessionCheck> {
    return new SessionCheck(await openDriverRecords(nc, names));
  }

  /** Session ids are what blob names and batch headers start with. */
  static sessionOf(name: string | undefined): string | undefined {
    const session = name?.split('.', 1)[0];
    return session !== undefined && SESSION_ID.test(session) ? session : undefined;
  }

  /** Whether the session's record is there (a driver that is alive). Unreadable: assumed alive. */
  async alive(session: string): Promise<boolean> {
    return (await this.record(session)) !== null;
  }

  async verdict(headers: MsgHdrs | undefined): Promise<Verdict> {
    const session = headers?.get(H.session);
    // a batch without a session header comes from a driver without heartbeats: it cannot be judged
    if (!session) return 'run';
    if (!SESSION_ID.test(session)) return 'gone';
    const record = await this.record(session);
    if (record === null) return 'gone';
    const call = headers?.get(H.call) ?? '';
    return record?.cancelled.includes(call) ? 'cancelled' : 'run';
  }

  /** null: no record (gone); undefined: present but unreadable, or the bucket could not be read. */
  private async record(session: string): Promise<SessionRecord | null | undefined> {
    const now = Date.now();
    const cached = this.recent.get(session);
    if (cached !== undefined && now - cached.at < RECORD_CACHE_MS) return cached.record;
    const record = await this.read(session);
    if (record === null || record === undefined) this.recent.delete(session);
    else {
      // bounded: entries of sessions gone quiet are dropped as others are added
      if (this.recent.size >= 256) this.recent.clear();
      this.recent.set(session, { at: now, record });
    }
    return record;
  }

  private async read(session: string): Promise<SessionRecord | null | undefined> {
    let entry: Awaited<ReturnType<KV['get']>>;
    try {
      entry = await this.kv.get(keyOf(session));
    } catch {
      // a failed read must not drop someone's work
      return undefined;
    }
    if (entry === null || entry.operation !== 'PUT') return null;
    try {
      const value = entry.json() as { cancelled?: unknown };
      const cancelled = Array.isArray(value?.cancelled)
        ? value.cancelled.filter((c): c is string => typeof c === 'string')
        : [];
      return { cancelled };
    } catch {
      return undefined;
    }
  }
}
