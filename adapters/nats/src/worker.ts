/**
 * A NATS worker (`parajob worker nats`): pulls batches from the shared durable consumer, one pull
 * per free slot (no prefetch, so a dead worker strands at most its slots), runs them on a
 * RemoteExecutor under a WorkerPolicy (deny by default, @parajob/remote), publishes each result
 * and then acks. Its capacity is in the KV registry, refreshed by heartbeats while serving; on
 * stop it finishes (or hands back) what it runs, deregisters and closes.
 *
 * The parts, one concern each: BatchHandler (one message, worker-batch.ts), ResultPublisher
 * (worker-publish.ts), RunningBatches (cancels, worker-cancels.ts), PullSlots and Registration
 * (here), all driven by @parajob/remote's Lifecycle.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import {
  type Consumer,
  type JetStreamManager,
  type JsMsg,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { ObjectStore } from '@nats-io/obj';
import { millis, type NatsConnection, nuid } from '@nats-io/transport-node';
import { cpuCount } from '@parajob/core/backend';
import {
  checkWorkerLimits,
  DEFAULT_SHUTDOWN_GRACE_MS,
  Lifecycle,
  MAX_CONCURRENCY,
  RemoteExecutor,
  type WorkerLimits,
  WorkerPolicy,
} from '@parajob/remote';
import { NatsConnectError, type NatsConnectionOptions, openConnection, serversText } from './connection.js';
import { BlobJanitor } from './janitor.js';
import { SessionCheck } from './liveness.js';
import { messages } from './messages.js';
import { type Names, namesFor } from './names.js';
import { type Needs, needsProblem } from './needs.js';
import {
  type ConsumerSettings,
  ensureQueues,
  HEARTBEAT_MS,
  openBlobs,
  openRegistry,
  type WorkerRecord,
} from './resources.js';
import { BatchHandler } from './worker-batch.js';
import { RunningBatches } from './worker-cancels.js';
import { NeedsPuller } from './worker-needs.js';
import { LENDABLE, SlotLoans } from './worker-nested.js';
import { ResultPublisher } from './worker-publish.js';
import { Redeliveries } from './worker-redelivery.js';

export interface NatsWorkerOptions extends NatsConnectionOptions, ConsumerSettings, WorkerLimits {
  /** Batches run at once (threads of the local pool); default: all CPUs. */
  readonly concurrency?: number;
  /** Custom resources this worker has (`--resources gpu=1,mem=4`): tasks needing them run only on workers declaring them (needs.ts). */
  readonly resources?: Readonly<Record<string, number>>;
  /** The project task modules resolve under; default: the nearest package.json above the working directory. */
  readonly root?: string;
  /** `--allow` entries: '.' (the project under root), package names or patterns ('@acme/*'). Default: ['.']. */
  readonly allow?: readonly string[];
  /** Run functions shipped as source. Default false. */
  readonly allowSource?: boolean;
  /**
   * How long a worker given a batch again asks whether a live worker still runs it before counting
   * the delivery as an attempt (worker-redelivery.ts). Default 2 500 ms; raise it where workers take
   * longer to reconnect after a nats-server restart (a loaded host).
   */
  readonly holderWaitMs?: number;
  /** On stop, how long running batches may finish before they are handed back (nak). Default 10 000 ms. */
  readonly shutdownGraceMs?: number;
  /** Where status lines go; default none. */
  readonly log?: (line: string) => void;
}

export interface NatsWorker {
  readonly id: string;
  readonly capacity: number;
  /** Stops pulling, finishes or hands back running batches, deregisters, disconnects. */
  stop(): Promise<void>;
}

const VERSION = (() => {
  try {
    return (
      JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
    ).version;
  } catch {
    return 'unknown';
  }
})();

/** After a failed pull (disconnected, server restarting), the slot waits this long before the next one. */
const PULL_RETRY_MS = 250;

/**
 * One pull loop per slot: a slot pulls the next message only when its batch is done. Slots lent
 * by tasks waiting in get() (worker-nested.ts) are served by one more loop, which pulls while
 * fewer lent batches run than slots are lent, without waiting for each: one pull request in
 * flight however many slots are lent. A lent batch that ends when its loan has ended is not
 * replaced.
 */
class PullSlots {
  private readonly loops: Promise<void>[];
  /** The loop pulling for lent slots, while one is due. */
  private lending: Promise<void> | undefined;
  /** Batches running on lent slots. */
  private readonly lentBatches = new Set<Promise<void>>();

  constructor(
    concurrency: number,
    private readonly consumer: Consumer,
    private readonly lifecycle: Lifecycle,
    private readonly handler: BatchHandler,
    /** Slots lent now by tasks blocked in get/wait. */
    private readonly lent: () => number,
  ) {
    this.loops = Array.from({ length: concurrency }, () => this.loop());
  }

  private async loop(): Promise<void> {
    while (this.lifecycle.state === 'serving') {
      const m = await this.pull();
      if (m) await this.handler.handle(m);
    }
  }

  /** The next message, or null (none within the pull's expiry, or the server is away). */
  private async pull(): Promise<JsMsg | null> {
    try {
      return await this.consumer.next({ expires: 5_000 });
    } catch {
      if (this.lifecycle.state === 'serving')
        await new Promise((resolve) => setTimeout(resolve, PULL_RETRY_MS));
      return null;
    }
  }

  /** A task blocked or resumed (or a lent batch ended): pull for the slots lent and not in use. */
  readonly fill = (): void => {
    if (this.lending !== undefined || this.lifecycle.state !== 'serving') return;
    if (this.lentBatches.size >= this.lent()) return;
    this.lending = this.lend().finally(() => {
      this.lending = undefined;
    });
  };

  private async lend(): Promise<void> {
    while (this.lifecycle.state === 'serving' && this.lentBatches.size < this.lent()) {
      const m = await this.pull();
      if (m === null) continue;
      const batch: Promise<void> = this.handler.handle(m).finally(() => {
        this.lentBatches.delete(batch);
        this.fill();
      });
      this.lentBatches.add(batch);
    }
  }

  /** Resolves when every loop and lent batch has ended (after the connection closed). */
  async finished(): Promise<void> {
    await Promise.all(this.loops);
    // bounded: nothing is pulled once the worker stops serving
    while (this.lending !== undefined || this.lentBatches.size > 0)
      await Promise.all([this.lending, ...this.lentBatches]);
  }
}

/** This worker's entry in the capacity registry. */
class Registration {
  private readonly key: string;
  private readonly record: WorkerRecord;

  constructor(
    private readonly kv: KV,
    id: string,
    capacity: number,
    resources: Needs,
    /** Batches running now: the heartbeat carries it, for the dashboard's load column. */
    private readonly running: () => number,
  ) {
    this.key = `w.${id}`;
    this.record = {
      capacity,
      pid: process.pid,
      host: hostname(),
      version: VERSION,
      ...(Object.keys(resources).length > 0 ? { resources } : {}),
    };
  }

  private text(): string {
    return JSON.stringify({ ...this.record, running: this.running() });
  }

  async put(): Promise<void> {
    await this.kv.put(this.key, this.text());
  }

  /** The heartbeat: a failed refresh is retried by the next one. */
  refresh = (): void => {
    this.kv.put(this.key, this.text()).catch(() => {});
  };

  async remove(): Promise<void> {
    await this.kv.delete(this.key).catch(() => {});
  }
}

/** What the worker opened on the server. */
interface Opened {
  readonly consumer: Consumer;
  readonly ackWaitMs: number;
  readonly kv: KV;
  /** Driver session records: batches of cancelled calls and of gone drivers are dropped (liveness.ts). */
  readonly sessions: SessionCheck;
  /** Lists the needs stream's consumers (worker-needs.ts). */
  readonly jsm: JetStreamManager;
}

async function openQueues(nc: NatsConnection, names: Names, options: NatsWorkerOptions): Promise<Opened> {
  const jsm = await jetstreamManager(nc).catch((error) => {
    throw new NatsConnectError(
      'NATS_NO_JETSTREAM',
      serversText(options),
      messages.connect.noJetStream(serversText(options)),
      error,
    );
  });
  // an explicit --ack-wait is the operator's: it updates the cluster's consumer (resources.ts)
  await ensureQueues(jsm, names, options, 'worker');
  const consumer = await jetstream(nc).consumers.get(names.tasksStream, names.consumer);
  const ackWaitMs = millis((await consumer.info()).config.ack_wait ?? 30_000_000_000);
  const kv = await openRegistry(nc, names);
  return { consumer, ackWaitMs, kv, sessions: await SessionCheck.open(nc, names), jsm };
}

export async function startNatsWorker(options: NatsWorkerOptions): Promise<NatsWorker> {
  const concurrency = options.concurrency ?? cpuCount();
  // bounded before connecting: one pull loop and one thread per slot must be allocatable
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_CONCURRENCY)
    throw new RangeError(messages.option.concurrency(concurrency, MAX_CONCURRENCY));
  // checked before connecting: a bad --root, --allow or limit never leaves a connection open
  const limits = checkWorkerLimits(options);
  const resources: Needs = options.resources ?? {};
  const problem = needsProblem(resources);
  if (problem !== undefined || 'CPU' in resources)
    throw new RangeError(
      messages.option.resources(problem ?? "CPU is the worker's concurrency, not a resource"),
    );
  const holderWait = options.holderWaitMs;
  if (holderWait !== undefined && !(Number.isFinite(holderWait) && holderWait > 0))
    throw new RangeError(messages.option.positive('holderWaitMs', holderWait));
  const policy = new WorkerPolicy({
    root: options.root,
    allow: options.allow,
    allowSource: options.allowSource,
  });
  const log = options.log ?? (() => {});
  const names = namesFor(options.namespace);
  const id = `${hostname().replace(/[^A-Za-z0-9_-]/g, '_')}-${process.pid}-${nuid.next().slice(-6)}`;
  const lifecycle = new Lifecycle();
  const nc = await openConnection(options, `parajob-worker-${id}`);
  let opened: Opened;
  let registration: Registration;
  try {
    opened = await openQueues(nc, names, options);
    registration = new Registration(opened.kv, id, concurrency, resources, () => lifecycle.running);
    await registration.put();
  } catch (error) {
    lifecycle.stopped();
    await nc.close().catch(() => {});
    throw error;
  }
  // before the pool's threads start: they read the ambient client's settings when they start
  let slots: PullSlots | undefined;
  const loans = new SlotLoans(options, () => slots?.fill());
  // a thread runs its own batch and the lent ones (see worker-nested.ts)
  const executor = new RemoteExecutor(
    concurrency,
    policy,
    limits,
    Math.ceil((concurrency + LENDABLE) / concurrency),
  );
  let blobs: Promise<ObjectStore> | undefined;
  const store = () => (blobs ??= openBlobs(nc, names));
  const janitor = new BlobJanitor(store, opened.sessions, log);
  const running = new RunningBatches();
  running.watch(nc, names);
  const redeliveries = new Redeliveries(nc, names, options.holderWaitMs);
  redeliveries.watch();
  const logged = new Set<string>();
  const handler = new BatchHandler({
    names,
    executor,
    publisher: new ResultPublisher(nc, jetstream(nc), store, id),
    running,
    lifecycle,
    store,
    sessions: opened.sessions,
    redeliveries,
    ackWaitMs: opened.ackWaitMs,
    log,
    logOnce: (kind, line) => {
      if (logged.has(kind)) return;
      logged.add(kind);
      log(line);
    },
  });
  const needs = new NeedsPuller(
    { ...resources, CPU: concurrency },
    names,
    opened.jsm,
    jetstream(nc),
    lifecycle,
    handler,
  );
  lifecycle.serve({
    everyMs: HEARTBEAT_MS,
    run: () => {
      registration.refresh();
      needs.discover();
    },
  });
  needs.discover();
  const pulls = new PullSlots(concurrency, opened.consumer, lifecycle, handler, () => loans.lent);
  slots = pulls;
  janitor.start();
  log(messages.worker.ready(id, concurrency, serversText(options), names.namespace, policy.allow.entries));

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      await janitor.stop();
      await lifecycle.drain(options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS, () => running.handBack());
      running.close();
      redeliveries.close();
      await registration.remove();
      await nc.flush().catch(() => {});
      await nc.close().catch(() => {});
      await pulls.finished();
      await needs.finished();
      loans.close();
      await executor.close();
      lifecycle.stopped();
      log(messages.worker.stopped(id));
    })());

  return { id, capacity: concurrency, stop };
}
