/**
 * Prometheus metrics with prom-client, the same names in a driver (`metrics()`, fed by the calls of
 * this process) and in a worker command (`--metrics`, fed by the batches it runs). Names, labels and
 * meaning: docs/observability.md.
 */
import client from 'prom-client';
import { type CallListener, isCancellation, listen } from './hub.js';

const SECONDS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60];

/** The metrics one process records; `role` tells a driver from a worker in every series. */
export class ParajobMetrics {
  readonly registry = new client.Registry();
  readonly calls: client.Counter<'backend' | 'outcome'>;
  readonly callsInFlight: client.Gauge<'backend'>;
  readonly batches: client.Counter<'backend' | 'outcome'>;
  readonly tasks: client.Counter<'backend' | 'outcome'>;
  readonly batchesInFlight: client.Gauge<'backend'>;
  readonly tasksInFlight: client.Gauge<'backend'>;
  readonly batchDuration: client.Histogram<'backend'>;
  readonly taskDuration: client.Histogram<'backend'>;
  readonly queueWait: client.Histogram<'backend'>;
  readonly batchRun: client.Histogram<'backend'>;
  readonly redeliveries: client.Counter<'backend'>;
  readonly workerRestarts: client.Counter<'backend' | 'reason'>;
  readonly retries: client.Counter<'backend' | 'reason'>;

  constructor(role: 'driver' | 'worker') {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ role });
    this.calls = new client.Counter({
      name: 'parajob_calls_total',
      help: 'Parallel calls ended, by outcome (completed, failed)',
      labelNames: ['backend', 'outcome'],
      registers,
    });
    this.callsInFlight = new client.Gauge({
      name: 'parajob_calls_in_flight',
      help: 'Parallel calls running',
      labelNames: ['backend'],
      registers,
    });
    this.batches = new client.Counter({
      name: 'parajob_batches_total',
      help: 'Batches ended, by outcome (completed, failed, cancelled: stopped because their call stopped)',
      labelNames: ['backend', 'outcome'],
      registers,
    });
    this.tasks = new client.Counter({
      name: 'parajob_tasks_total',
      help: 'Tasks ended, by outcome (completed, failed); the tasks of a failed batch after its failing task are not counted',
      labelNames: ['backend', 'outcome'],
      registers,
    });
    this.batchesInFlight = new client.Gauge({
      name: 'parajob_batches_in_flight',
      help: 'Batches submitted (driver) or running (worker), not yet ended',
      labelNames: ['backend'],
      registers,
    });
    this.tasksInFlight = new client.Gauge({
      name: 'parajob_tasks_in_flight',
      help: 'Tasks of the batches in flight',
      labelNames: ['backend'],
      registers,
    });
    this.batchDuration = new client.Histogram({
      name: 'parajob_batch_duration_seconds',
      help: 'Batch duration: from submit to result (driver) or from arrival to answer (worker), queue wait included (see parajob_batch_run_seconds)',
      labelNames: ['backend'],
      buckets: SECONDS,
      registers,
    });
    this.taskDuration = new client.Histogram({
      name: 'parajob_task_duration_seconds',
      help: "Mean task duration of each batch (one observation per batch: the batch's duration over its size)",
      labelNames: ['backend'],
      buckets: SECONDS,
      registers,
    });
    this.queueWait = new client.Histogram({
      name: 'parajob_queue_wait_seconds',
      help: 'Time a batch waited before a worker thread or process started it: from submit (driver, transport included), from the stream timestamp (NATS worker) or from its arrival (other workers)',
      labelNames: ['backend'],
      buckets: SECONDS,
      registers,
    });
    this.batchRun = new client.Histogram({
      name: 'parajob_batch_run_seconds',
      help: "Time a worker thread or process ran a batch (its own clock), when the backend's answer says; batch duration minus queue wait",
      labelNames: ['backend'],
      buckets: SECONDS,
      registers,
    });
    this.redeliveries = new client.Counter({
      name: 'parajob_redeliveries_total',
      help: 'Batches this worker received again after an earlier delivery (its worker died, or the ack wait passed)',
      labelNames: ['backend'],
      registers,
    });
    this.workerRestarts = new client.Counter({
      name: 'parajob_worker_restarts_total',
      help: "Threads or processes of this process's pools replaced, by reason (crash, timeout, abort: stopped while running a task; recycle)",
      labelNames: ['backend', 'reason'],
      registers,
    });
    this.retries = new client.Counter({
      name: 'parajob_batch_retries_total',
      help: 'Batches a driver sent again, by reason (lost-worker: gRPC retries; redelivery: the NATS queue delivered it again)',
      labelNames: ['backend', 'reason'],
      registers,
    });
    // RSS, heap, event-loop delay (nodejs_eventloop_lag_*), GC: prom-client's process metrics
    client.collectDefaultMetrics({ register: this.registry });
  }

  batchStarted(backend: string, size: number): void {
    this.batchesInFlight.inc({ backend });
    this.tasksInFlight.inc({ backend }, size);
  }

  /** `completed` tasks succeeded; `failed` tasks failed (0 for a batch that succeeded). */
  batchEnded(backend: string, size: number, ms: number, completed: number, failed: number): void {
    this.batchesInFlight.dec({ backend });
    this.tasksInFlight.dec({ backend }, size);
    this.batches.inc({ backend, outcome: failed > 0 ? 'failed' : 'completed' });
    if (completed > 0) this.tasks.inc({ backend, outcome: 'completed' }, completed);
    if (failed > 0) this.tasks.inc({ backend, outcome: 'failed' }, failed);
    this.batchDuration.observe({ backend }, ms / 1000);
    this.taskDuration.observe({ backend }, ms / 1000 / size);
  }

  /** The split of a batch's time: waiting for a worker (transport included), then running. */
  batchSplit(backend: string, waitMs: number, runMs: number): void {
    this.queueWait.observe({ backend }, Math.max(0, waitMs) / 1000);
    this.batchRun.observe({ backend }, runMs / 1000);
  }

  /** A batch stopped because its call stopped (not a failure of its own). */
  batchCancelled(backend: string, size: number): void {
    this.batchesInFlight.dec({ backend });
    this.tasksInFlight.dec({ backend }, size);
    this.batches.inc({ backend, outcome: 'cancelled' });
  }

  /** The exposition text (`text/plain; version=0.0.4`). */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}

let driver: ParajobMetrics | undefined;
let stopListening: (() => void) | undefined;

/**
 * This process's driver metrics: every Parallel call from now on is counted. The same Registry on
 * every call, for the life of the process; serve `registry.metrics()` from your own /metrics, or
 * merge it into yours (`client.Registry.merge`).
 */
export function metrics(): client.Registry {
  driver ??= new ParajobMetrics('driver');
  stopListening ??= listen(driverListener(driver));
  return driver.registry;
}

/** Stops counting this process's calls; the registry keeps its values, and metrics() resumes. */
export function stopMetrics(): void {
  stopListening?.();
  stopListening = undefined;
}

/** What every role counts about its pools and retries, whoever runs the calls. */
export function poolListener(m: ParajobMetrics): CallListener {
  return {
    workerReplaced: (backend, reason) => m.workerRestarts.inc({ backend, reason }),
    batchRetried: (backend, reason) => m.retries.inc({ backend, reason }),
  };
}

function driverListener(m: ParajobMetrics): CallListener {
  const backends = new Map<string, string>();
  return {
    ...poolListener(m),
    callStarted(info) {
      backends.set(info.callId, info.backend);
      m.callsInFlight.inc({ backend: info.backend });
    },
    batchStarted(callId, _first, size) {
      m.batchStarted(backends.get(callId) ?? 'unknown', size);
    },
    batchEnded(callId, first, size, _at, ms, error, failedTasks, runMs) {
      const backend = backends.get(callId) ?? 'unknown';
      if (runMs !== null && !isCancellation(error)) m.batchSplit(backend, ms - runMs, runMs);
      if (error === undefined) m.batchEnded(backend, size, ms, size - failedTasks, failedTasks);
      else if (isCancellation(error)) m.batchCancelled(backend, size);
      else m.batchEnded(backend, size, ms, completedBefore(error, first, size), 1);
    },
    callEnded(callId, _at, error) {
      const backend = backends.get(callId) ?? 'unknown';
      backends.delete(callId);
      m.callsInFlight.dec({ backend });
      m.calls.inc({ backend, outcome: error === undefined ? 'completed' : 'failed' });
    },
  };
}

/** Tasks of a failed batch that ran before the failing one, when the error says which task failed. */
function completedBefore(error: unknown, first: number, size: number): number {
  const index = (error as { taskIndex?: unknown } | null)?.taskIndex;
  return typeof index === 'number' ? Math.max(0, Math.min(size - 1, index - first)) : 0;
}
