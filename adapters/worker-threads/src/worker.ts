/**
 * The piscina worker: runs one batch with core's runtime, recording each task's start in the
 * batch's status slot (for timeouts counted from task start and for crash reports).
 */
import {
  explainUnsendableResult,
  runBatch,
  serializeError,
  type WireBatch,
  type WireResult,
} from '@parajob/core/backend';
import { cloneFailure } from './result-check.js';
import { StatusSlot } from './status-slot.js';
import { ensureTypeScriptLoader } from './typescript-loader.js';

export interface WorkerTask {
  readonly wire: WireBatch;
  readonly status: SharedArrayBuffer;
  /** The call has a per-task timeout: record when each task starts, not only which one runs. */
  readonly timed: boolean;
}

export default async function runParajobBatch({ wire, status, timed }: WorkerTask): Promise<WireResult> {
  try {
    await ensureTypeScriptLoader();
  } catch (error) {
    // reported as the batch's first task failing (the task module could not be loaded), not as a crash
    return { values: [], error: { pos: 0, error: serializeError(error) } };
  }
  const slot = new StatusSlot(status);
  const onTaskStart = timed
    ? (position: number) => slot.start(position)
    : (position: number) => slot.mark(position);
  const result = await runBatch(wire, { onTaskStart });
  const failure = cloneFailure(result.values);
  return failure === undefined ? result : explainUnsendableResult(wire, result, failure);
}
