/**
 * A NATS worker (`parajob worker nats`): pulls batches from the shared durable consumer, one pull
 * per free slot (no prefetch, so a dead worker strands at most its slots), runs them in a local
 * worker-threads pool, publishes each result and then acks. Registers its capacity in the KV
 * registry, refreshed by heartbeats; honours per-call cancels; on stop finishes or hands back
 * (nak) what it runs, deregisters and closes.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { type Consumer, type JsMsg, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { ObjectStore } from '@nats-io/obj';
import { millis, headers as natsHeaders, nuid } from '@nats-io/transport-node';
import { cpuCount, explainUnsendableResult } from '@parajob/core/backend';
import { BlobUploads, fetchBody, HEADROOM, pack, restoreBlobs, unpack } from './codec.js';
import { type NatsConnectionOptions, openConnection, serversText } from './connection.js';
import { LocalExecutor } from './executor.js';
import { messages } from './messages.js';
import { H, namesFor } from './names.js';
import {
  type ConsumerSettings,
  DEFAULT_MAX_ATTEMPTS,
  ensureQueues,
  HEARTBEAT_MS,
  openBlobs,
  openRegistry,
  type WorkerRecord,
} from './resources.js';
import type { ResultBody, TaskBody } from './result.js';

export interface NatsWorkerOptions extends NatsConnectionOptions, ConsumerSettings {
  /** Batches run at once (threads of the local pool); default: all CPUs. */
  readonly concurrency?: number;
  /** Project root: its own modules and its node_modules are where task modules resolve. Default: cwd. */
  readonly root?: string;
  /** Package-name globs whose task modules may run (`.` = the root project). Default: the root project only. */
  readonly allow?: readonly string[];
  /** Run functions shipped as source. Default false. */
  readonly allowSource?: boolean;
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

interface Running {
  readonly call: string;
  readonly controller: AbortController;
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

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Cancelled calls are remembered this long, so their batches pulled after the cancel are dropped. */
const CANCEL_MEMORY_MS = 10 * 60_000;

export async function startNatsWorker(options: NatsWorkerOptions): Promise<NatsWorker> {
  const concurrency = options.concurrency ?? cpuCount();
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new RangeError(messages.option.concurrency(concurrency));
  const log = options.log ?? (() => {});
  const names = namesFor(options.namespace);
  const id = `${hostname().replace(/[^A-Za-z0-9_-]/g, '_')}-${process.pid}-${nuid.next().slice(-6)}`;
  const nc = await openConnection(options, `parajob-worker-${id}`);
  let kv: KV;
  let consumer: Consumer;
  let ackWaitMs: number;
  try {
    const jsm = await jetstreamManager(nc).catch((error) => {
      throw new Error(messages.connect.noJetStream(serversText(options)), { cause: error });
    });
    await ensureQueues(jsm, names, options);
    consumer = await jetstream(nc).consumers.get(names.tasksStream, names.consumer);
    ackWaitMs = millis((await consumer.info()).config.ack_wait ?? 30_000_000_000);
    kv = await openRegistry(nc, names);
  } catch (error) {
    await nc.close().catch(() => {});
    throw error;
  }
  const executor = new LocalExecutor({
    concurrency,
    root: options.root ?? process.cwd(),
    allow: options.allow,
    allowSource: options.allowSource ?? false,
  });
  const js = jetstream(nc);
  let blobs: Promise<ObjectStore> | undefined;
  const store = () => (blobs ??= openBlobs(nc, names));
  const running = new Set<Running>();
  const cancelled = new Map<string, number>();
  let stopping = false;
  let handingBack = false;

  const record: WorkerRecord = {
    capacity: concurrency,
    pid: process.pid,
    host: hostname(),
    version: VERSION,
  };
  const key = `w.${id}`;
  const register = () => kv.put(key, JSON.stringify(record)).catch(() => {});
  await kv.put(key, JSON.stringify(record));
  const heartbeat = setInterval(register, HEARTBEAT_MS);

  nc.subscribe(names.allCancels, {
    callback: (error, m) => {
      if (error) return;
      const call = m.subject.slice(names.cancel('').length);
      const now = Date.now();
      cancelled.set(call, now);
      for (const [c, at] of cancelled) if (now - at > CANCEL_MEMORY_MS) cancelled.delete(c);
      for (const r of running) if (r.call === call) r.controller.abort('cancelled');
    },
  });

  let maxPayload = nc.info?.max_payload ?? 1024 * 1024;
  const publishResult = async (
    subject: string,
    batchId: string,
    attempt: number,
    body: ResultBody,
    prefix: string,
  ) => {
    let payload: Uint8Array;
    const uploads = new BlobUploads(prefix);
    maxPayload = nc.info?.max_payload ?? maxPayload;
    if (body.kind === 'result') {
      const values = (await uploads.offload(
        body.result.values,
        Math.floor(maxPayload / 4),
        store,
      )) as unknown[];
      payload = pack({ ...body, result: { ...body.result, values } });
    } else payload = pack(body);
    const h = natsHeaders();
    h.set(H.batch, batchId);
    h.set(H.attempt, String(attempt));
    h.set(H.worker, id);
    if (payload.byteLength > maxPayload - HEADROOM) {
      const name = `${prefix}.body`;
      await uploads.putBody(name, payload, store);
      h.set(H.blob, name);
      payload = new Uint8Array(0);
    }
    // retried through a server restart; the message id keeps one copy per batch in the results stream
    for (let tries = 0; ; tries++) {
      try {
        await js.publish(subject, payload, { msgID: `${batchId}.result`, headers: h, timeout: 5_000 });
        return;
      } catch (error) {
        if (tries > 240 || /max_payload|permission/i.test(String(error))) throw error;
        await delay(250);
      }
    }
  };

  const handle = async (m: JsMsg) => {
    const batchId = m.headers?.get(H.batch) ?? '';
    const call = m.headers?.get(H.call) ?? '';
    const reply = m.headers?.get(H.reply) ?? '';
    const attempts = Number(m.headers?.get(H.attempts)) || DEFAULT_MAX_ATTEMPTS;
    const attempt = m.info.deliveryCount;
    if (!batchId || !reply || cancelled.has(call)) {
      m.term();
      return;
    }
    if (stopping) {
      m.nak();
      return;
    }
    const prefix = `${batchId}.r${attempt}`;
    if (attempt > attempts) {
      // every earlier delivery died with its worker: report it durably, and remove the batch
      await publishResult(reply, batchId, attempt, { kind: 'crashed', attempts }, prefix);
      m.term();
      return;
    }
    const entry: Running = { call, controller: new AbortController() };
    running.add(entry);
    // tells the server the batch is alive, so a long batch is not redelivered after the ack wait
    const working = setInterval(() => m.working(), Math.max(ackWaitMs / 3, 100));
    try {
      const blob = m.headers?.get(H.blob);
      const task = unpack<TaskBody>(blob ? await fetchBody(blob, store) : m.data);
      const args = (await restoreBlobs(task.wire.args, store)).value as TaskBody['wire']['args'];
      const wire = { ...task.wire, args };
      const result = await executor.run(wire, { signal: entry.controller.signal, timeout: task.timeout });
      if (entry.controller.signal.aborted) {
        if (handingBack) m.nak();
        else m.term();
        return;
      }
      try {
        await publishResult(reply, batchId, attempt, { kind: 'result', result }, prefix);
      } catch (error) {
        if (!/DataCloneError|could not be cloned/i.test(String(error))) throw error;
        await publishResult(
          reply,
          batchId,
          attempt,
          { kind: 'result', result: explainUnsendableResult(wire, result, error) },
          prefix,
        );
      }
      await m.ackAck().catch(() => m.ack());
    } catch (error) {
      log(`batch ${batchId} failed in the worker and goes back to the queue: ${(error as Error).message}`);
      m.nak(1_000);
    } finally {
      clearInterval(working);
      running.delete(entry);
    }
  };

  const slot = async () => {
    while (!stopping) {
      let m: JsMsg | null;
      try {
        m = await consumer.next({ expires: 5_000 });
      } catch {
        if (stopping) return;
        // disconnected or the server restarts: try again shortly
        await delay(250);
        continue;
      }
      if (m) await handle(m);
    }
  };
  const slots = Array.from({ length: concurrency }, () => slot());
  log(
    `parajob nats worker ${id}: ${concurrency} slot(s) on ${serversText(options)}, namespace '${names.namespace}'`,
  );

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      stopping = true;
      clearInterval(heartbeat);
      const grace = options.shutdownGraceMs ?? 10_000;
      const finished = Promise.all(slots);
      const timer = new Promise<void>((r) => setTimeout(r, grace).unref());
      if (running.size > 0) await Promise.race([waitIdle(running), timer]);
      handingBack = true;
      for (const r of running) r.controller.abort('shutdown');
      await waitIdle(running);
      await kv.delete(key).catch(() => {});
      await nc.flush().catch(() => {});
      await nc.close().catch(() => {});
      await finished;
      await executor.close();
      log(`parajob nats worker ${id}: stopped`);
    })());

  return { id, capacity: concurrency, stop };
}

async function waitIdle(running: Set<Running>): Promise<void> {
  while (running.size > 0) await delay(20);
}
