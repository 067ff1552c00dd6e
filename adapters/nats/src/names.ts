/** Stream, subject and bucket names of one namespace (DESIGN §6, nats-grpc.md §2.2). */
export interface Names {
  readonly namespace: string;
  readonly tasksStream: string;
  readonly resultsStream: string;
  readonly consumer: string;
  readonly registry: string;
  /** KV bucket of live driver sessions (heartbeats and their cancelled calls). */
  readonly drivers: string;
  readonly blobs: string;
  /** KV bucket of the redeliveries that were not attempts, by batch (worker-redelivery.ts). */
  readonly attempts: string;
  /** Subject of a call's batches: parajob.<ns>.tasks.<session>.<call>. */
  tasks(call: string): string;
  results(call: string): string;
  cancel(call: string): string;
  /** A worker given a batch again asks here whether a live worker still runs it... */
  holderAsk(batch: string): string;
  /** ...and the worker running it answers here. */
  holderAnswer(batch: string): string;
  readonly allHolderAsks: string;
  readonly allTasks: string;
  readonly allResults: string;
  readonly allCancels: string;
  readonly maxDeliveriesAdvisory: string;
}

export function namesFor(namespace = 'default'): Names {
  const upper = namespace.toUpperCase().replace(/-/g, '_');
  const base = `parajob.${namespace}`;
  const tasksStream = `PARAJOB_${upper}_TASKS`;
  return {
    namespace,
    tasksStream,
    resultsStream: `PARAJOB_${upper}_RESULTS`,
    consumer: 'workers',
    registry: `parajob_${namespace}_workers`,
    drivers: `parajob_${namespace}_drivers`,
    blobs: `parajob_${namespace}_blobs`,
    attempts: `parajob_${namespace}_attempts`,
    tasks: (call) => `${base}.tasks.${call}`,
    results: (call) => `${base}.results.${call}`,
    cancel: (call) => `${base}.cancel.${call}`,
    holderAsk: (batch) => `${base}.holder.ask.${batch}`,
    holderAnswer: (batch) => `${base}.holder.held.${batch}`,
    allHolderAsks: `${base}.holder.ask.>`,
    allTasks: `${base}.tasks.>`,
    allResults: `${base}.results.>`,
    allCancels: `${base}.cancel.>`,
    maxDeliveriesAdvisory: `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${tasksStream}.workers`,
  };
}

/** Message headers of the protocol. */
export const H = {
  msgId: 'Nats-Msg-Id',
  batch: 'Parajob-Batch',
  call: 'Parajob-Call',
  /** The driver session that published the batch: workers drop batches of sessions that are gone. */
  session: 'Parajob-Session',
  reply: 'Parajob-Reply',
  attempts: 'Parajob-Attempts',
  blob: 'Parajob-Body-Blob',
  attempt: 'Parajob-Attempt',
  worker: 'Parajob-Worker',
} as const;
