// Which thread runs, when (epoch ms) and its CPU time so far (ms, Linux schedstat).
import { readFileSync } from 'node:fs';
import { threadId } from 'node:worker_threads';

export function threadSample() {
  return { threadId, at: performance.timeOrigin + performance.now(), cpuMs: threadCpuMs() };
}

export function threadCpuMs() {
  return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
}
