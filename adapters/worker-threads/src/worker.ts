/**
 * The piscina worker: runs one batch with core's runtime, recording each task's start in the
 * batch's status slot (for timeouts counted from task start and for crash reports).
 */
import { SerializationError } from '@parajob/core';
import {
  explainUnsendableResult,
  runBatch,
  serializeError,
  type WireBatch,
  type WireResult,
} from '@parajob/core/backend';
import { preloadFunctions, StrayErrors } from '@parajob/core/internal';
import { messages } from './messages.js';
import { overLimit, type RecycleTask, retire } from './recycle.js';
import { cloneFailure, MAX_RESULT_DEPTH, TOO_DEEP, tooDeep } from './result-check.js';
import { StatusSlot } from './status-slot.js';

export interface WorkerTask {
  readonly wire: WireBatch;
  readonly status: SharedArrayBuffer;
  /** The call has a per-task timeout: record when each task starts, not only which one runs. */
  readonly timed: boolean;
  /** Remote workers only: false refuses functions shipped as source (absent: a local call, allowed). */
  readonly allowSource?: boolean;
  /** Set when threads are recycled (maxTasksPerWorker, maxMemoryPerWorker). */
  readonly recycle?: RecycleTask;
}

const strays = new StrayErrors();

// An error a task left behind (a timer, an unawaited rejection) fails only its own call: one of
// the running call is rethrown, which ends this worker as before (piscina rejects the batch with
// it); one of another call is reported and ignored, and the worker serves on.
let fatal: unknown;
const onStray = (error: unknown) => {
  // a rejection rethrown here comes back as an uncaught exception: it stays fatal
  if (error === fatal || strays.ownedByRunningCall(error)) {
    fatal = error;
    throw error;
  }
};
process.on('uncaughtException', onStray);
process.on('unhandledRejection', onStray);

export default async function runParajobBatch({
  wire,
  status,
  timed,
  allowSource,
  recycle,
}: WorkerTask): Promise<WireResult> {
  const answer = await runWire(wire, status, timed, allowSource);
  if (recycle === undefined) return answer;
  if (overLimit(recycle.limits, wire.size)) retire(recycle, answer);
  recycle.port.close();
  return answer;
}

async function runWire(
  wire: WireBatch,
  status: SharedArrayBuffer,
  timed: boolean,
  allowSource: boolean | undefined,
): Promise<WireResult> {
  const slot = new StatusSlot(status);
  const onTaskStart = timed
    ? (position: number) => slot.start(position)
    : (position: number) => slot.mark(position);
  // task modules load outside the call's async context: much cheaper (see preloadFunctions)
  await preloadFunctions(wire, { allowSource });
  const result = await strays.run(wire.call, () => runBatch(wire, { onTaskStart, allowSource }));
  const failure = cloneFailure(result.values);
  if (failure === undefined) return result;
  if (failure === TOO_DEEP) return refuseTooDeep(wire, result) ?? result;
  // posting it would throw in piscina, outside any handler: answer with the task's SerializationError
  return explainUnsendableResult(wire, result, failure);
}

/** The answer with each value nested too deep to post replaced by a SerializationError, or undefined if none is. */
function refuseTooDeep(wire: WireBatch, result: WireResult): WireResult | undefined {
  const values = [...result.values];
  const errors = [...(result.errors ?? [])];
  for (let pos = 0; pos < values.length; pos++) {
    const path = tooDeep(values[pos]);
    if (path === undefined) continue;
    const index = wire.first + pos;
    const error = serializeError(
      new SerializationError(messages.result.tooDeep(index, path, MAX_RESULT_DEPTH), {
        taskIndex: index,
        path,
        phase: 'result',
      }),
    );
    if (!wire.settle) return { values: values.slice(0, pos), error: { pos, error } };
    values[pos] = undefined;
    errors.push([pos, error]);
  }
  return errors.length > (result.errors?.length ?? 0) ? { ...result, values, errors } : undefined;
}
