/**
 * The piscina worker: runs one batch with core's runtime, recording each task's start in the
 * batch's status slot (for timeouts counted from task start and for crash reports).
 */
import { explainUnsendableResult, runBatch, type WireBatch, type WireResult } from '@parajob/core/backend';
import { preloadFunctions, StrayErrors } from '@parajob/core/internal';
import { cloneFailure } from './result-check.js';
import { StatusSlot } from './status-slot.js';

export interface WorkerTask {
  readonly wire: WireBatch;
  readonly status: SharedArrayBuffer;
  /** The call has a per-task timeout: record when each task starts, not only which one runs. */
  readonly timed: boolean;
  /** Remote workers only: false refuses functions shipped as source (absent: a local call, allowed). */
  readonly allowSource?: boolean;
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
}: WorkerTask): Promise<WireResult> {
  const slot = new StatusSlot(status);
  const onTaskStart = timed
    ? (position: number) => slot.start(position)
    : (position: number) => slot.mark(position);
  // task modules load outside the call's async context: much cheaper (see preloadFunctions)
  await preloadFunctions(wire, { allowSource });
  const result = await strays.run(wire.call, () => runBatch(wire, { onTaskStart, allowSource }));
  const failure = cloneFailure(result.values);
  if (failure === undefined) return result;
  // posting it would throw in piscina, outside any handler: answer with the task's SerializationError
  return explainUnsendableResult(wire, result, failure);
}
