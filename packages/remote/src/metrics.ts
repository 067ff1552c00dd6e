/**
 * `--metrics HOST:PORT`: loads @parajob/observe (an optional peer dependency, so a worker without
 * it pays nothing) and lets it see every batch this process's executors run.
 */
import { watchBatches } from './executor.js';
import { messages } from './messages.js';

export interface MetricsServer {
  readonly url: string;
  stop(): Promise<void>;
}

export async function startMetrics(address: string, kind: string): Promise<MetricsServer> {
  let observe: typeof import('@parajob/observe/worker-metrics');
  try {
    observe = await import('@parajob/observe/worker-metrics');
  } catch (error) {
    throw new Error(messages.metrics.noObserve((error as Error).message));
  }
  const server = await observe.serveWorkerMetrics(address, kind);
  watchBatches(server.observer);
  return {
    url: server.url,
    stop: async () => {
      watchBatches(undefined);
      await server.stop();
    },
  };
}
