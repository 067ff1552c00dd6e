#!/usr/bin/env node
/**
 * The dashboard page's side of bench/observe/dashboard-latency.mjs, in its own process as a browser
 * is: reads the event stream at argv[2] and, for every update showing a running call, records the
 * time from the change it shows (`oldestChangeAt`) to its arrival, and the part of it spent before
 * the dashboard built the update (`now`). Prints one JSON line `{ latencies, built, maxInFlight }`
 * when its stdin closes.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

const latencies = [];
// this process does almost nothing: its event-loop delay is how long the machine kept it waiting
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
const built = [];
let maxInFlight = 0;
const controller = new AbortController();
process.stdin.resume();
process.stdin.on('end', () => controller.abort());
const res = await fetch(process.argv[2], { signal: controller.signal });
process.stdout.write('ready\n');
const decoder = new TextDecoder();
let buffer = '';
try {
  for await (const chunk of res.body) {
    const arrived = Date.now();
    buffer += decoder.decode(chunk, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const state = JSON.parse(buffer.slice(buffer.indexOf('data: ') + 6, end));
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf('\n\n');
      const running = state.calls.find((c) => c.status === 'running');
      if (!running) continue;
      maxInFlight = Math.max(maxInFlight, running.dispatched - running.completed);
      latencies.push(arrived - state.oldestChangeAt);
      built.push(state.now - state.oldestChangeAt);
    }
  }
} catch (error) {
  if (error.name !== 'AbortError') throw error;
}
process.stdout.write(
  `${JSON.stringify({ latencies, built, maxInFlight, readerLoopMax: loopDelay.max / 1e6 })}\n`,
);
