/**
 * `import '@parajob/observe/tracing'`: turns tracing on with the globally registered
 * OpenTelemetry provider. Import it in the program that calls Parallel, and in the worker too
 * (the task module, or `node --import @parajob/observe/tracing`) so tasks' spans nest under the
 * caller's batch span.
 */
import { enableTracing } from './otel.js';

await enableTracing();

export { disableTracing, enableTracing, type TracingOptions } from './otel.js';
