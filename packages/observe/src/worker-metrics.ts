/**
 * A worker command's `--metrics HOST:PORT`: serves this worker's metrics as Prometheus text on
 * `/metrics`, fed by every batch the worker runs (`@parajob/remote` calls `observer` for each).
 */
import type { WireBatch, WireResult } from '@parajob/core/backend';
import { type Address, parseAddress } from './address.js';
import { type Listening, listenOn } from './http.js';
import { listen } from './hub.js';
import { ParajobMetrics, poolListener } from './metrics.js';

/** What `@parajob/remote`'s executor calls: at a batch's start, and the returned function at its end. */
export interface BatchWatcher {
  started(
    wire: WireBatch,
    arrival?: { readonly attempt?: number; readonly queuedAt?: number },
  ): (result: WireResult) => void;
}

export interface WorkerMetricsServer extends Listening {
  readonly metrics: ParajobMetrics;
  readonly observer: BatchWatcher;
}

/** Failed tasks in a worker's answer: the first failure (not settled), or every one (settled). */
function failures(result: WireResult): number {
  return result.errors ? result.errors.length : result.error ? 1 : 0;
}

export function workerBatchWatcher(metrics: ParajobMetrics, kind: string): BatchWatcher {
  return {
    started(wire, arrival = {}) {
      const started = performance.now();
      metrics.batchStarted(kind, wire.size);
      if (arrival.attempt !== undefined && arrival.attempt > 1) metrics.redeliveries.inc({ backend: kind });
      // the queue's clock against this host's: a negative wait is clock skew, not time
      const queued = arrival.queuedAt === undefined ? null : Math.max(0, Date.now() - arrival.queuedAt);
      return (result) => {
        const ms = performance.now() - started;
        // then the wait for one of this worker's threads: its time minus the thread's run time
        if (result.runMs !== undefined) {
          const runMs = Math.min(result.runMs, ms);
          metrics.batchSplit(kind, (queued ?? 0) + ms - runMs, runMs);
        } else if (queued !== null) metrics.queueWait.observe({ backend: kind }, queued / 1000);
        const failed = failures(result);
        // not settled: the tasks before the failure completed, the rest never ran
        const completed = result.errors ? wire.size - failed : result.error ? result.error.pos : wire.size;
        metrics.batchEnded(kind, wire.size, ms, completed, failed);
      };
    },
  };
}

/** Serves `/metrics` on `address` (`HOST:PORT`, host 127.0.0.1 by default) for a `worker <kind>` command. */
export async function serveWorkerMetrics(
  address: string | Address,
  kind: string,
): Promise<WorkerMetricsServer> {
  const where = typeof address === 'string' ? parseAddress(address, '--metrics') : address;
  const metrics = new ParajobMetrics('worker');
  // the worker's own pool: threads replaced after a crash or a timeout
  const stopListening = listen(poolListener(metrics));
  const listening = await listenOn('--metrics', where, (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('parajob worker metrics: GET /metrics\n');
      return;
    }
    metrics.text().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      (error: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error)),
    );
  }).catch((error: unknown) => {
    stopListening();
    throw error;
  });
  return {
    ...listening,
    stop: () => {
      stopListening();
      return listening.stop();
    },
    metrics,
    observer: workerBatchWatcher(metrics, kind),
  };
}
