/**
 * Worker side: a batch's answer when its results do not encode for the network. A pool thread's
 * values passed structured clone once, yet `v8.serialize` on the worker's main thread can still
 * refuse them (a structure deeper than this thread's stack allows, a value that only now fails to
 * clone). The answer then says which value, and when even that cannot be worked out (looking for
 * it overflows the stack too), says that the batch's results could not be sent. It never throws:
 * no value a task returns can take a worker down or send its batch round the queue as a "crash".
 */
import v8 from 'node:v8';
import { SerializationError } from '@parajob/core';
import {
  explainUnsendableResult,
  serializeError,
  type WireBatch,
  type WireResult,
} from '@parajob/core/backend';
import { messages } from './messages.js';

/** An answer for `result` that `v8.serialize` accepts, given the error it threw for `result`. */
export function unsendableResult(wire: WireBatch | null, result: WireResult, cause: unknown): WireResult {
  if (wire !== null) {
    try {
      const explained = explainUnsendableResult(wire, result, cause);
      v8.serialize(explained);
      return explained;
    } catch {
      // the explanation itself does not encode (or overflowed looking): say so without the values
    }
  }
  const first = wire?.first ?? 0;
  const last = wire === null ? first : wire.first + wire.size - 1;
  const reason = cause instanceof Error ? cause.message : String(cause);
  const error = new SerializationError(messages.batch.unsendable(first, last, reason), {
    taskIndex: first,
    path: 'result',
    phase: 'result',
  });
  return { values: [], error: { pos: 0, error: serializeError(error) } };
}
