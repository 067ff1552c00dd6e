/**
 * Deletes the large values (object store entries) of driver sessions that are gone. A driver
 * deletes its own values when each call ends; one that was killed, or a script that exited right
 * after `run()`, cannot. Every blob name starts with its session id, so a worker that finds no
 * live record for that session (see liveness.ts) deletes the blob. Runs on every worker, at
 * start and every BLOB_SWEEP_MS: a vanished driver's values are gone about DRIVER_TTL_MS +
 * BLOB_SWEEP_MS after its last heartbeat while any worker runs, and after the store's 1 h
 * expiry in any case.
 */
import type { ObjectStore } from '@nats-io/obj';
import { SessionCheck } from './liveness.js';

export const BLOB_SWEEP_MS = 15_000;

export class BlobJanitor {
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;

  constructor(
    private readonly store: () => Promise<ObjectStore>,
    private readonly sessions: SessionCheck,
    private readonly log: (line: string) => void,
  ) {}

  start(): void {
    const run = () => {
      // one sweep at a time; a slow store never piles them up
      this.sweeping ??= this.sweep()
        .then(
          (deleted) => {
            if (deleted > 0) this.log(`deleted ${deleted} stored value(s) of drivers that are gone`);
          },
          (error) => this.log(`sweeping the values of gone drivers failed: ${(error as Error).message}`),
        )
        .finally(() => {
          this.sweeping = undefined;
        });
    };
    run();
    this.timer = setInterval(run, BLOB_SWEEP_MS);
    this.timer.unref();
  }

  /** Deletes every blob whose session has no live record; returns how many. */
  async sweep(): Promise<number> {
    const os = await this.store();
    const bySession = new Map<string, string[]>();
    for (const info of await os.list()) {
      const session = SessionCheck.sessionOf(info.name);
      // foreign entries (no session prefix) are not ours to delete
      if (session === undefined) continue;
      const names = bySession.get(session) ?? [];
      names.push(info.name);
      bySession.set(session, names);
    }
    let deleted = 0;
    for (const [session, names] of bySession) {
      if (await this.sessions.alive(session)) continue;
      for (const name of names) {
        await os.delete(name).catch(() => {});
        deleted++;
      }
    }
    return deleted;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.sweeping;
  }
}
