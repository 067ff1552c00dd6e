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
import { messages } from './messages.js';
import { cloneFailure, MAX_RESULT_DEPTH, TOO_DEEP, tooDeep } from './result-check.js';
import { StatusSlot } from './status-slot.js';
import { ensureTypeScriptLoader } from './typescript-loader.js';

export interface WorkerTask {
  readonly wire: WireBatch;
  readonly status: SharedArrayBuffer;
  /** The call has a per-task timeout: record when each task starts, not only which one runs. */
  readonly timed: boolean;
  /** Remote workers only: false refuses functions shipped as source (absent: a local call, allowed). */
  readonly allowSource?: boolean;
}

export default async function runParajobBatch({
  wire,
  status,
  timed,
  allowSource,
}: WorkerTask): Promise<WireResult> {
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
  const result = await runBatch(wire, { onTaskStart, allowSource });
  const failure = cloneFailure(result.values);
  if (failure === undefined) return result;
  if (failure === TOO_DEEP) return refuseTooDeep(wire, result) ?? result;
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
