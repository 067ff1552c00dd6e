/**
 * Worker side of resources (needs.ts): pulls the batches of every needs key this worker can
 * satisfy, one batch per free share of its resources. Keys are found by listing the needs
 * stream's consumers, at start and on each heartbeat. A batch holds its custom resources while it
 * runs (a worker declaring gpu=2 runs two gpu=1 batches at once, one gpu=2 batch); CPU is matched
 * against the worker's slots but not held (these batches run beside the slots' own).
 */
import type { JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import type { Lifecycle } from '@parajob/remote';
import type { Names } from './names.js';
import { NEEDS_CONSUMER_PREFIX, type Needs, needsStream, parseNeedsKey, satisfies } from './needs.js';
import type { BatchHandler } from './worker-batch.js';

/** A needs pull waits this long for a batch before it gives its resources back for a moment. */
const PULL_EXPIRES_MS = 2_000;
const PULL_RETRY_MS = 250;

export class NeedsPuller {
  /** Custom resources not held by a running (or pulling) needs batch. */
  private readonly free: Record<string, number>;
  private readonly keys = new Set<string>();
  private readonly loops = new Set<Promise<void>>();
  /** Loops waiting for resources to come back. */
  private waiters: (() => void)[] = [];

  constructor(
    /** What this worker declares, CPU (its slots) included. */
    private readonly have: Needs,
    private readonly names: Names,
    private readonly jsm: JetStreamManager,
    private readonly js: JetStreamClient,
    private readonly lifecycle: Lifecycle,
    private readonly handler: BatchHandler,
  ) {
    this.free = { ...have };
    delete this.free.CPU;
  }

  /** Looks for keys this worker satisfies and starts pulling them (the heartbeat calls it). */
  readonly discover = (): void => {
    void this.scan().catch(() => {
      // the server is away: the next heartbeat looks again
    });
  };

  private async scan(): Promise<void> {
    if (this.lifecycle.state !== 'serving') return;
    const stream = needsStream(this.names);
    for await (const info of this.jsm.consumers.list(stream)) {
      const name = info.name;
      if (!name.startsWith(NEEDS_CONSUMER_PREFIX)) continue;
      const key = name.slice(NEEDS_CONSUMER_PREFIX.length);
      const needs = this.keys.has(key) ? null : parseNeedsKey(key);
      if (needs === null || !satisfies(this.have, needs)) continue;
      this.keys.add(key);
      // as many loops as the key's needs fit in what this worker declares (at least one)
      const shares = Math.max(
        1,
        Math.min(
          ...Object.entries(needs).map(([r, n]) => (r === 'CPU' ? 64 : Math.floor(this.have[r]! / n))),
        ),
      );
      for (let i = 0; i < Math.min(shares, 64); i++) {
        const loop: Promise<void> = this.loop(stream, name, needs).finally(() => this.loops.delete(loop));
        this.loops.add(loop);
      }
    }
  }

  private async loop(stream: string, consumerName: string, needs: Needs): Promise<void> {
    const consumer = await this.js.consumers.get(stream, consumerName);
    while (this.lifecycle.state === 'serving') {
      if (!this.take(needs)) {
        await new Promise<void>((resolve) => this.waiters.push(resolve));
        continue;
      }
      try {
        let m: JsMsg | null;
        try {
          m = await consumer.next({ expires: PULL_EXPIRES_MS });
        } catch {
          if (this.lifecycle.state !== 'serving') return;
          await new Promise((resolve) => setTimeout(resolve, PULL_RETRY_MS));
          continue;
        }
        if (m) await this.handler.handle(m);
      } finally {
        this.give(needs);
      }
    }
  }

  private take(needs: Needs): boolean {
    for (const [r, n] of Object.entries(needs)) if (r !== 'CPU' && (this.free[r] ?? 0) < n) return false;
    for (const [r, n] of Object.entries(needs)) if (r !== 'CPU') this.free[r]! -= n;
    return true;
  }

  private give(needs: Needs): void {
    for (const [r, n] of Object.entries(needs)) if (r !== 'CPU') this.free[r]! += n;
    const waiting = this.waiters;
    this.waiters = [];
    for (const wake of waiting) wake();
  }

  /** Resolves when every loop has ended (after the worker stopped serving and its connection closed). */
  async finished(): Promise<void> {
    const waiting = this.waiters;
    this.waiters = [];
    for (const wake of waiting) wake();
    while (this.loops.size > 0) await Promise.all([...this.loops]);
  }
}
