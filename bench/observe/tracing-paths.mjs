#!/usr/bin/env node
/**
 * The tracing code paths alone, in a hot loop (no tasks run): what one traced call of the overhead
 * workload (1 call span, 23 batch spans) costs in CPU when nothing else evicts the code and data
 * between two spans (the calling thread's CPU). Compare with overhead.mjs, which measures the same paths in situ.
 *
 *   node bench/observe/tracing-paths.mjs [--calls 5000]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { context, SpanKind, trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { currentInstrumentation } from '@parajob/core/backend';
import { disableTracing, enableTracing } from '@parajob/observe';
import { hollowProvider } from './hollow-provider.mjs';

const { values: opts } = parseArgs({ options: { calls: { type: 'string', default: '5000' } } });
const calls = Number(opts.calls);
const BATCHES = 23;
const SIZE = 4999;
const exporters = [new InMemorySpanExporter(), new InMemorySpanExporter()];
const simple = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporters[0])] });
const batched = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporters[1])] });
const reset = () => {
  for (const exporter of exporters) exporter.reset();
};
/** The SDK alone: the same spans with the same attributes, started and ended directly. */
function sdkOnly(provider) {
  const tracer = provider.getTracer('bench');
  return () => {
    const call = tracer.startSpan('parajob call', {
      kind: SpanKind.INTERNAL,
      attributes: { 'parajob.call.id': 'c', 'parajob.backend': 'worker-threads', 'parajob.n_jobs': -1 },
    });
    const callContext = trace.setSpan(context.active(), call);
    for (let b = 0; b < BATCHES; b++) {
      const span = tracer.startSpan(
        'send worker-threads',
        {
          kind: SpanKind.PRODUCER,
          attributes: {
            'messaging.system': 'parajob',
            'messaging.operation.type': 'send',
            'messaging.operation.name': 'submit',
            'messaging.destination.name': 'worker-threads',
            'messaging.batch.message_count': SIZE,
            'parajob.call.id': 'c',
            'parajob.batch.first_index': b * SIZE,
          },
        },
        callContext,
      );
      span.end();
    }
    call.end();
  };
}

const info = {
  callId: 'c',
  backend: 'worker-threads',
  nJobs: -1,
  workers: 2,
  inCaller: false,
  mode: 'list',
  total: BATCHES * SIZE,
  depth: 1,
};
const values = new Array(SIZE).fill(1);
/** The caller's side as core drives it: a call observer, and per batch its observer, run and end. */
const callerPath = () => {
  const observer = currentInstrumentation()?.startCall(info);
  if (observer === undefined) return;
  observer.run(() => 0);
  for (let b = 0; b < BATCHES; b++) {
    const batch = { firstIndex: b * SIZE, size: SIZE, runMs: 1, traceparent: undefined };
    const seen = observer.batch(batch);
    batch.traceparent = seen.traceparent;
    seen.run(() => values);
    seen.end(undefined, values);
  }
  observer.end(undefined);
};

/** The worker's side: one batch that carries a traceparent, its runBatch hook around the tasks. */
const wire = {
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  size: SIZE,
  call: 'c',
  first: 0,
};
const answer = { values };
const workerPath = async () => {
  const hook = currentInstrumentation()?.runWorkerBatch;
  for (let b = 0; b < BATCHES; b++) await hook(wire, async () => answer);
};

/** This thread's CPU time in µs (Linux: not V8's compiler and GC helper threads). */
const threadCpuUs = () => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e3;

/** µs of this thread's CPU per call, after twice as many warm-up calls. */
async function perCall(step) {
  for (let i = 0; i < 2 * calls; i++) await step();
  const t0 = threadCpuUs();
  for (let i = 0; i < calls; i++) {
    await step();
    if (i % 100 === 0) reset();
  }
  const spent = threadCpuUs() - t0;
  reset();
  return (spent / calls).toFixed(1);
}

const rows = [];
rows.push(['the SDK alone, spans exported as they end', await perCall(sdkOnly(simple))]);
rows.push(['the SDK alone, batch span processor', await perCall(sdkOnly(batched))]);
for (const [name, provider] of [
  ["parajob's caller path, spans exported as they end", simple],
  ["parajob's caller path, batch span processor", batched],
  ["parajob's caller path, hollow spans (no SDK work)", hollowProvider],
]) {
  await enableTracing({ tracerProvider: provider });
  rows.push([name, await perCall(callerPath)]);
}
await enableTracing(); // a worker with tracing on and no SDK (the global no-op provider)
rows.push([`the worker's runBatch hook, no SDK (${BATCHES} batches)`, await perCall(workerPath)]);
disableTracing();
await Promise.all([simple.shutdown(), batched.shutdown()]);
console.log(`tracing paths in a hot loop, ${calls} calls of 1 call span + ${BATCHES} batch spans`);
console.log('  | path | CPU per call |');
console.log('  | --- | --- |');
for (const [name, us] of rows) console.log(`  | ${name} | ${us} µs |`);
