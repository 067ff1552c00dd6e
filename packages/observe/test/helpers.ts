import {
  BackendBase,
  decodeResult,
  encodeBatch,
  runBatch,
  type SubmitOptions,
  type TaskBatch,
} from '@parajob/core/backend';

/** An in-process backend (docs/writing-a-backend.md's InlineBackend): tasks run on the caller's thread. */
export class InlineBackend extends BackendBase {
  readonly name = 'inline';
  override readonly supportsSharedMem = true;
  submit(batch: TaskBatch, { signal }: SubmitOptions) {
    return batch.run({ signal });
  }
}

/**
 * A backend that answers in the wire format, as remote and pool backends do: each batch first
 * waits `queueMs` (a queue), then core's runBatch runs it and decodeResult reads its answer.
 */
export class QueuedWireBackend extends BackendBase {
  readonly name = 'queued-wire';
  constructor(private readonly queueMs: number) {
    super();
  }
  async submit(batch: TaskBatch, _options: SubmitOptions) {
    await new Promise((resolve) => setTimeout(resolve, this.queueMs));
    return decodeResult(batch, await runBatch(encodeBatch(batch)));
  }
}
