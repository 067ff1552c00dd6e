/**
 * @parajob/observe: see what parajob runs. Nothing here loads OpenTelemetry: tracing loads
 * `@opentelemetry/api` (an optional peer dependency) when enabled.
 */
export { type Address, parseAddress } from './address.js';
export {
  type Dashboard,
  type DashboardOptions,
  type DashboardSource,
  type DashboardState,
  processSource,
  startDashboard,
  type WorkerView,
} from './dashboard.js';
export { type CallListener, listen } from './hub.js';
export { metrics, ParajobMetrics, stopMetrics } from './metrics.js';
export { disableTracing, enableTracing, type TracingOptions } from './otel.js';
export { RemoteCalls, type RemoteFeed, type RemoteWorker, remoteSource } from './remote-source.js';
export {
  type BatchRecord,
  type CallRecord,
  performanceReport,
  RunRecorder,
  type RunRecording,
  recordRun,
  reportHtml,
} from './report.js';
export { CallTracker, type CallView, type ErrorView, type Throughput } from './tracker.js';
export { serveWorkerMetrics, type WorkerMetricsServer, workerBatchWatcher } from './worker-metrics.js';
