/**
 * Recycling threads between batches (maxTasksPerWorker, maxMemoryPerWorker). piscina cannot
 * retire one chosen thread after its task: it hands the thread the next queued batch as soon as
 * it answers. So a thread over a limit answers on a port of its own and exits while piscina still
 * counts it busy (no batch can reach it in between); piscina then reports the exit, the backend
 * reads the answer already waiting on the port and keepStaffed starts a replacement.
 */
import { getHeapStatistics } from 'node:v8';
import { type MessagePort, receiveMessageOnPort } from 'node:worker_threads';
import type { WireResult } from '@parajob/core/backend';
import type { RecycleLimits } from './options.js';

/** What a batch carries when its thread may have to retire after it. */
export interface RecycleTask {
  readonly limits: RecycleLimits;
  /** Where a retiring thread posts its answer before it exits. */
  readonly port: MessagePort;
}

/** Tasks this thread has run (module state of the worker thread). */
let tasksRun = 0;

/** Worker side: counts the batch's tasks; true when this thread must be replaced before the next batch. */
export function overLimit(limits: RecycleLimits, batchSize: number): boolean {
  tasksRun += batchSize;
  return tasksRun >= limits.maxTasks || getHeapStatistics().used_heap_size > limits.maxHeapBytes;
}

/** Worker side: answers through the port, then ends this thread; never returns. */
export function retire(task: RecycleTask, answer: WireResult): never {
  task.port.postMessage(answer);
  // messages posted before exit are already queued on the parent's side of the port
  process.exit(0);
}

/** Parent side: the answer a retiring thread left on the port, if it did. */
export function answerOf(port: MessagePort): WireResult | undefined {
  return receiveMessageOnPort(port)?.message as WireResult | undefined;
}
