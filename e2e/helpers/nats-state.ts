/** Reads what a namespace leaves on a nats-server, for the NATS end-to-end tests. */
import { type ConsumerInfo, jetstreamManager } from '@nats-io/jetstream';
import { Objm } from '@nats-io/obj';
import { connect as natsConnect } from '@nats-io/transport-node';

async function withConnection<T>(
  url: string,
  body: (nc: Awaited<ReturnType<typeof natsConnect>>) => Promise<T>,
) {
  const nc = await natsConnect({ servers: url });
  try {
    return await body(nc);
  } finally {
    await nc.close();
  }
}

/** Batches still in the namespace's task queue. */
export function queuedBatches(url: string, namespace: string): Promise<number> {
  return withConnection(url, async (nc) => {
    const info = await (await jetstreamManager(nc)).streams.info(`PARAJOB_${namespace.toUpperCase()}_TASKS`);
    return info.state.messages;
  });
}

/** The shared workers' consumer of the namespace. */
export function workersConsumer(url: string, namespace: string): Promise<ConsumerInfo> {
  return withConnection(url, async (nc) =>
    (await jetstreamManager(nc)).consumers.info(`PARAJOB_${namespace.toUpperCase()}_TASKS`, 'workers'),
  );
}

/** Names of the entries in the namespace's object store (large values). */
export function storedBlobs(url: string, namespace: string): Promise<string[]> {
  return withConnection(url, async (nc) => {
    const os = await new Objm(nc).open(`parajob_${namespace}_blobs`);
    return (await os.list()).map((e) => e.name);
  });
}

/** Polls `probe` until `done` holds (every 250 ms, at most `ms`); returns the last value. */
export async function eventually<T>(
  probe: () => Promise<T>,
  done: (v: T) => boolean,
  ms: number,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (done(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Batches left in the queue once it is empty, or after `ms`. */
export const queueAfterDrain = (url: string, namespace: string, ms: number) =>
  eventually(
    () => queuedBatches(url, namespace),
    (n) => n === 0,
    ms,
  );

/** Stored values left once there are none, or after `ms`. */
export const blobsAfterCleanup = (url: string, namespace: string, ms: number) =>
  eventually(
    () => storedBlobs(url, namespace),
    (names) => names.length === 0,
    ms,
  );
